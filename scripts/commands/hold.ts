import type { AgentConfig } from '../../agent/config/index.js';
import { addDays, isCalendarDate, startOfSiteDay } from '../../agent/filing/dates.js';
import { HoldError, HoldStore, holdJson, type HoldKind } from '../../agent/retention/holds.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { formatDateTime, translator, type Language } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { renderTable } from '../cli/table.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type CommandIo, type Command } from '../cli/command.js';
import { commandNow, loadCommandConfig } from './dossier.js';

/** A date means the whole day in the site zone (--from its start, --to through its end); a date-time is taken as written. */
function bound(option: 'from' | 'to', text: string | undefined, timeZone: string): number {
  if (text === undefined) throw usageError('err.required', { option: `--${option}` });
  if (isCalendarDate(text)) return startOfSiteDay(option === 'to' ? addDays(text, 1) : text, timeZone).getTime();
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) throw usageError('err.bound', { option, value: text });
  return t;
}

function fail(io: CommandIo, json: boolean | undefined, err: HoldError): number {
  if (json) printJson(io, { error: { code: err.code, message: err.message } });
  io.stderr.write(`cea hold: ${err.message}\n`);
  return EXIT_FINDINGS;
}

/** Human lines: times in the site's zone, kind and state in words. */
function holdLines(lang: Language, zone: string) {
  const t = translator(cliCatalog, lang);
  const at = (iso: string | null | undefined) => (iso ? formatDateTime(Date.parse(iso), zone) : '');
  const kind = (k: string) => (k === 'vital' || k === 'legal' ? t(`hold.kind.${k}`) : k);
  type H = ReturnType<typeof holdJson>;
  const state = (h: H) =>
    h.released
      ? t('hold.released', { at: at(h.released.at), by: h.released.by ?? '?' })
      : h.active
        ? h.until
          ? t('hold.until', { until: at(h.until) })
          : t('hold.untilReleased')
        : t('hold.expired', { until: at(h.until) });
  return {
    table: (holds: H[]) =>
      renderTable(
        t('hold.headers').split('|'),
        holds.map((h) => [h.id, h.camera, at(h.from), at(h.to), kind(h.kind), state(h), `"${h.reason}" (${h.createdBy})`]),
      ),
    none: () => t('hold.none'),
    one: (verb: 'add' | 'release', h: H) =>
      `${t(verb === 'add' ? 'hold.added' : 'hold.releasedHead')} ${h.id}${lang === 'zh-CN' ? '：' : ': '}${h.camera} ${at(h.from)} – ${at(h.to)} (${kind(h.kind)}${h.until ? `, ${t('hold.until', { until: at(h.until) })}` : ''}) [${zone}]`,
  };
}

function whoAmI(io: CommandIo, by: string | undefined): string {
  return by ?? `cli:${io.env.SUDO_USER ?? io.env.USER ?? io.env.LOGNAME ?? 'unknown'}`;
}

/** `cea hold add|list|release`: protect a time range of a camera's recordings from rotation. */
export const holdCommand: Command = {
  name: 'hold',
  summary: 'protect a time range of a camera\'s recordings: vital (the profile\'s period, 1 year) or legal (until released)',
  usage:
    'hold add --camera ID --from DATE|ISO --to DATE|ISO --kind vital|legal --reason TEXT [--by WHO] [--config FILE] [--now ISO] [--json] [--lang zh-CN|en]\n' +
    '       cea hold list [--active] [--config FILE] [--now ISO] [--json] [--lang zh-CN|en]\n' +
    '       cea hold release ID --reason TEXT [--by WHO] [--config FILE] [--now ISO] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string' },
      camera: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      kind: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      active: { type: 'boolean' },
      now: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [verb, ...rest] = positionals;
    if (verb !== 'add' && verb !== 'list' && verb !== 'release') {
      throw verb === undefined
        ? usageError('err.missingSub', { expected: 'add, list, release' })
        : usageError('err.unknownSub', { value: verb, expected: 'add, list, release' });
    }
    if (verb === 'release' ? rest.length !== 1 : rest.length !== 0) {
      throw new UsageError(verb === 'release' ? 'release takes one hold id' : `unexpected argument "${rest.join(' ')}"`);
    }
    const now = commandNow(values.now);
    const config: AgentConfig | null = loadCommandConfig('hold', values.config, io, values.lang);
    if (!config) return EXIT_USAGE;
    const human = holdLines(commandLanguage(io, values.lang, config), config.site.timezone);

    let request: Parameters<HoldStore['add']>[0] | null = null;
    if (verb === 'add') {
      if (values.camera === undefined) throw usageError('err.required', { option: '--camera' });
      if (values.kind !== 'vital' && values.kind !== 'legal') throw usageError('err.holdKind');
      if (values.reason === undefined || values.reason.trim() === '') throw usageError('err.holdReason');
      request = {
        cameraId: values.camera,
        fromMs: bound('from', values.from, config.site.timezone),
        toMs: bound('to', values.to, config.site.timezone),
        kind: values.kind as HoldKind,
        reason: values.reason,
        createdBy: whoAmI(io, values.by),
      };
    }
    if (verb === 'release' && (values.reason === undefined || values.reason.trim() === '')) throw usageError('err.releaseReason');

    const { db } = openStore(config.database, { migrations, now: () => now });
    try {
      const store = new HoldStore(db);
      const nowMs = now.getTime();
      if (verb === 'list') {
        const holds = store.list().filter((h) => !values.active || holdJson(h, nowMs).active);
        if (values.json) printJson(io, { holds: holds.map((h) => holdJson(h, nowMs)) });
        else io.stdout.write(`${holds.length === 0 ? human.none() : human.table(holds.map((x) => holdJson(x, nowMs)))}\n`);
        return EXIT_OK;
      }
      try {
        let hold;
        if (verb === 'add' && request) {
          const known = config.cameras.some((c) => c.id === request.cameraId) || db.prepare('SELECT 1 FROM segments WHERE camera_id = ? LIMIT 1').get(request.cameraId) !== undefined;
          if (!known) throw new HoldError('not_found', `camera "${request.cameraId}" is neither configured nor has recordings`);
          hold = store.add(request, nowMs, config.profile.retention.vitalHoldDays);
        } else {
          hold = store.release(rest[0] as string, whoAmI(io, values.by), values.reason ?? '', nowMs);
        }
        const json = holdJson(hold, nowMs);
        if (values.json) printJson(io, { hold: json });
        else io.stdout.write(`${human.one(verb === 'add' ? 'add' : 'release', json)}\n`);
        return EXIT_OK;
      } catch (err) {
        if (err instanceof HoldError) {
          if (err.code === 'bad_request') throw new UsageError(err.message);
          return fail(io, values.json, err);
        }
        throw err;
      }
    } finally {
      db.close();
    }
  },
};
