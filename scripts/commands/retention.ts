import { randomUUID } from 'node:crypto';
import type { AgentConfig } from '../../agent/config/index.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { formatBytes } from '../../agent/retention/policy.js';
import { reconcile, type ReconcileResult } from '../../agent/retention/reconcile.js';
import { assessmentJson, assessStore, reconcileAlarms, type Assessment } from '../../agent/retention/service.js';
import { Sweeper, type SweepResult } from '../../agent/retention/sweeper.js';
import { createLogger, type Logger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { translator, type Language } from '../../agent/i18n/index.js';
import { alarmText } from '../../agent/i18n/retention.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, printJson, type Command, type CommandIo } from '../cli/command.js';
import { commandNow, loadCommandConfig, openDatabaseReadOnly } from './dossier.js';

/** Cameras retention stopped (the agent's state), so a plan shows what it would resume. */
function stoppedCameras(db: Database): string[] {
  try {
    const row = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get('retention.state');
    return row ? ((JSON.parse(row.value) as { stopped?: string[] }).stopped ?? []) : [];
  } catch {
    return [];
  }
}

function logIgnored(r: ReconcileResult, logger: Logger): void {
  if (r.ignored.length > 0) logger.warn({ count: r.ignored.length, first: r.ignored.slice(0, 10) }, 'files not in the recording layout are left alone');
  if (r.problem) logger.error(r.problem);
}

async function plan(config: AgentConfig, now: Date, logger: Logger): Promise<{ a: Assessment; r: ReconcileResult }> {
  // Read only: a plan never changes the index or the disk.
  const opened = openDatabaseReadOnly(config.database, now);
  let db = opened.db;
  if (!db) {
    logger.warn(`${opened.problem ?? 'no database'}; planning from the disk alone`);
    db = openStore(':memory:', { migrations, now: () => now }).db;
  }
  try {
    const r = await reconcile({ db, root: config.storage.root, timeZone: config.site.timezone, nowMs: now.getTime(), dryRun: true, logger });
    logIgnored(r, logger);
    // The index as it would be after reconciling: missing files out, unindexed ones in.
    const { assessment: a } = assessStore(db, config, { wallMs: now.getTime(), exclude: new Set(r.missing.map((m) => m.id)), extra: r.adopted, stoppedCameras: stoppedCameras(db) });
    a.alarms.unshift(...reconcileAlarms(r));
    return { a, r };
  } finally {
    db.close();
  }
}

async function sweep(config: AgentConfig, now: Date, logger: Logger): Promise<{ a: Assessment; r: ReconcileResult; s: SweepResult }> {
  const { db } = openStore(config.database, { migrations, now: () => now });
  try {
    const clock = () => now;
    // Events (recording.missing) wait in the outbox for the agent to send them.
    const recorder = new EventRecorder(db, new Outbox({ db, site: config.site.id, now: clock, newId: randomUUID }), new EventBus(logger));
    const sweeper = new Sweeper({ db, root: config.storage.root, now: clock, logger });
    sweeper.recover();
    const r = await reconcile({ db, root: config.storage.root, timeZone: config.site.timezone, nowMs: now.getTime(), recorder, logger });
    logIgnored(r, logger);
    const { assessment: a } = assessStore(db, config, { wallMs: now.getTime(), stoppedCameras: stoppedCameras(db) });
    a.alarms.unshift(...reconcileAlarms(r));
    // Gone between the reconcile and the deletion: listed (missingAtDeletion); the next reconcile flags them.
    const s = await sweeper.sweep(a.plan.deletions, { holdNowMs: a.plan.holdNowMs });
    return { a, r, s };
  } finally {
    db.close();
  }
}

function human(
  io: CommandIo,
  lang: Language,
  verb: 'plan' | 'sweep',
  a: Assessment,
  deleted: { bytes: number; reason: string }[],
  r: ReconcileResult,
  s: SweepResult | null,
  timeZone: string,
): void {
  const t = translator(cliCatalog, lang);
  const lines: string[] = [];
  const by = (reason: string) => deleted.filter((d) => d.reason === reason);
  const sum = (list: { bytes: number }[]) => formatBytes(list.reduce((n, d) => n + d.bytes, 0));
  lines.push(t(verb === 'plan' ? 'retention.wouldDelete' : 'retention.deleted', { count: deleted.length, size: sum(deleted) }));
  for (const reason of ['past_ceiling', 'disk_pressure'] as const) {
    const list = by(reason);
    if (list.length > 0) lines.push(t('retention.reasonLine', { reason: t(`retention.reason.${reason}`), count: list.length, size: sum(list) }));
  }
  if (s && s.skipped.length > 0) lines.push(t('retention.skipped', { count: s.skipped.length, path: s.skipped[0]?.path ?? '', reason: s.skipped[0]?.reason ?? '' }));
  lines.push(t('retention.kept', { floor: a.plan.kept.floor, hold: a.plan.kept.hold, other: a.plan.kept.other }));
  if (r.adopted.length > 0 || r.missing.length > 0) lines.push(t('retention.index', { adopted: r.adopted.length, missing: r.missing.length }));
  const f = a.forecast;
  const what = f.daysRetainable === null ? t('retention.forecastUnknown') : t('retention.forecastDays', { days: f.daysRetainable });
  lines.push(t('retention.forecast', { what, floor: f.floorDays, margin: f.marginDays, ok: f.ok }));
  // The alarm's type is its code (the same as the event's); its detail is rendered in the
  // reader's language from its own code (agent/i18n/retention.ts).
  const severity = (x: string) => (x === 'critical' || x === 'warning' || x === 'info' ? t(`severity.${x}`) : x.toUpperCase());
  for (const x of a.alarms) lines.push(`${severity(x.severity)} ${x.type}${lang === 'zh-CN' ? '：' : ': '}${alarmText(x, lang, timeZone)}`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** `cea retention plan|sweep`: reconcile index and disk, then show / perform what rotation deletes. */
export const retentionCommand: Command = {
  name: 'retention',
  summary: 'recordings rotation: reconcile index and disk, then show (plan) or perform (sweep) the deletions',
  usage: 'retention plan|sweep [--config FILE] [--now ISO] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' }, now: { type: 'string' }, json: { type: 'boolean' } });
    const verb = positionals[0];
    if (positionals.length !== 1 || (verb !== 'plan' && verb !== 'sweep')) {
      throw positionals.length === 0
        ? usageError('err.missingSub', { expected: 'plan, sweep' })
        : usageError('err.unknownSub', { value: positionals.join(' '), expected: 'plan, sweep' });
    }
    const now = commandNow(values.now);
    const config = loadCommandConfig('retention', values.config, io, values.lang);
    if (!config) return EXIT_USAGE;
    const lang = commandLanguage(io, values.lang, config);
    const logger = createLogger({ destination: io.stderr, level: io.env.CEA_LOG_LEVEL ?? 'warn', pretty: false });

    let a: Assessment;
    let r: ReconcileResult;
    let s: SweepResult | null = null;
    if (verb === 'plan') ({ a, r } = await plan(config, now, logger));
    else ({ a, r, s } = await sweep(config, now, logger));

    const deleted = s ? s.deleted : a.plan.deletions.map((d) => ({ ...d.segment, reason: d.reason }));
    if (values.json) {
      printJson(
        io,
        assessmentJson(a, {
          deleted,
          extra: {
            reconcile: { adopted: r.adopted.length, missing: r.missing.map((m) => m.path), ignored: r.ignored.length, problem: r.problem },
            ...(s ? { skipped: s.skipped, missingAtDeletion: s.missing.map((m) => m.path), freedBytes: s.freedBytes } : {}),
          },
        }),
      );
    } else human(io, lang, verb, a, deleted, r, s, config.site.timezone);
    const findings = a.alarms.some((x) => x.severity !== 'info') || (s !== null && s.skipped.length > 0);
    return findings ? EXIT_FINDINGS : EXIT_OK;
  },
};
