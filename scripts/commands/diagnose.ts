// `cea diagnose [--config F] [--json] [--camera ID] [--report DIR] [--lang zh-CN|en]`: the
// technician checklist (DESIGN.md). With --report, also the dated acceptance / inspection
// report. Every run is recorded in the inspection history: the database is opened for
// writing for that one insert only (diagnose is read-only otherwise), and a database that
// cannot take it (read-only, locked, too old) is said on stderr, never fatal.
// Exit 0 when no check fails, 1 when one does, 2 on a usage or config error.
// The human output is in the CLI's language (checks rendered from their code by
// agent/i18n/diagnose.ts); --json is the machine contract and is the same in every language.
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, statfsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import { formatConfigIssue, loadConfigFile } from '../../agent/config/index.js';
import { checkText, countStatuses, said, type Check } from '../../agent/diagnose/checks.js';
import { defaultOnvif, ffprobeRtsp } from '../../agent/diagnose/cameras.js';
import { hostChecks, readTimeSync } from '../../agent/diagnose/host.js';
import { recordInspection, type InspectionInput } from '../../agent/diagnose/inspections.js';
import { writeInspectionReport } from '../../agent/diagnose/report.js';
import { reportFails, runDiagnoseWithEvidence, type DiagnoseProbes } from '../../agent/diagnose/run.js';
import { jpegThumbnail } from '../../agent/diagnose/thumbnail.js';
import { diagnoseCliTexts } from '../../agent/i18n/diagnose.js';
import { translator, type Language, type Translator } from '../../agent/i18n/index.js';
import { agentVersion } from '../../agent/version.js';
import { ImageWorkerPool } from '../../drivers/image/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { checkedLanguage, commandLanguage } from '../cli/lang.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { openDatabaseReadOnly } from './dossier.js';

const ANALYSER = new URL('../../agent/clarity/metrics.js', import.meta.url);

function hasBinary(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, name)));
}

const MARK = { pass: '✔', warn: '!', fail: '✘' } as const;
const COLOUR = { pass: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' } as const;

type Say = Translator<typeof diagnoseCliTexts>;

function line(c: Check, colour: boolean, lang: Language): string {
  const mark = colour ? `${COLOUR[c.status]}${MARK[c.status]}\x1b[0m` : MARK[c.status];
  const { detail, advice } = checkText(c, lang);
  return `${mark} ${c.name}: ${detail}${advice ? `\n    → ${advice}` : ''}`;
}

/** A usage error in both languages (the dispatcher shows the reader's). */
function usage(make: (say: Say) => string): UsageError {
  return new UsageError(make(translator(diagnoseCliTexts, 'en')), make(translator(diagnoseCliTexts, 'zh-CN')));
}

/** Who runs the CLI: cli:<OS user> (the user behind sudo, as `cea hold` names it). */
export function cliRequester(env: NodeJS.ProcessEnv): string {
  const named = env.SUDO_USER ?? env.USER ?? env.LOGNAME;
  if (named) return `cli:${named}`;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/**
 * Records one run, opening the existing database for writing just for this insert (no
 * migration, no integrity repair: that is the agent's business). Returns the reason when
 * it could not.
 */
export function recordCliInspection(file: string, input: InspectionInput, busyTimeoutMs = 2_000, lang: Language = 'en'): { id: string } | { problem: string } {
  const say = translator(diagnoseCliTexts, lang);
  if (!existsSync(file)) return { problem: say('noDatabaseAt', { file }) };
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('synchronous = FULL');
    return { id: recordInspection(db, input) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const why = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
      ? say('dbLocked')
      : code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN'
        ? say('dbReadonly')
        : /no such table: inspections/.test((err as Error).message)
          ? say('dbOld')
          : (err as Error).message;
    return { problem: `${why} (${file})` };
  } finally {
    db?.close();
  }
}

/** The command with injectable probes (tests replace the box-specific ones). */
export function makeDiagnoseCommand(override: Partial<DiagnoseProbes> = {}): Command {
  return {
    name: 'diagnose',
    summary: 'technician checklist: config, database, storage, time, broker, keys, each camera, host; --report writes the acceptance / inspection report',
    usage: 'diagnose [--config FILE] [--json] [--camera ID] [--report DIR] [--lang zh-CN|en]',
    async run(argv, io: CommandIo) {
      const { values } = parseCommandArgs(
        argv,
        { config: { type: 'string' }, json: { type: 'boolean' }, camera: { type: 'string' }, report: { type: 'string' }, lang: { type: 'string' } },
        false,
      );
      const json = values.json === true;
      checkedLanguage(values.lang); // a wrong --lang is a usage error before anything runs
      if (values.report !== undefined && values.report.trim() === '') throw usage((say) => say('reportNeedsDir'));
      const chosen = values.config ?? (existsSync(join(io.cwd, 'config/agent.yaml')) ? 'config/agent.yaml' : undefined);
      if (chosen === undefined) throw usage((say) => say('noConfig'));
      const loaded = loadConfigFile(resolve(io.cwd, chosen), { env: io.env, cwd: io.cwd });
      if (!loaded.ok) {
        const errors = loaded.errors.map(formatConfigIssue);
        if (json) printJson(io, { checks: [said('config', 'fail', 'config.invalid', { file: chosen, errors })] });
        else {
          for (const e of errors) io.stderr.write(`${e}\n`);
          io.stderr.write(`${translator(diagnoseCliTexts, commandLanguage(io, values.lang))('configErrors', { n: errors.length, file: chosen })}\n`);
        }
        return EXIT_USAGE;
      }
      const config = loaded.config;
      const lang = commandLanguage(io, values.lang, config);
      const say = translator(diagnoseCliTexts, lang);
      if (values.camera !== undefined && !config.cameras.some((c) => c.id === values.camera)) {
        const p = { id: values.camera, file: chosen, cameras: config.cameras.map((c) => c.id).join(', ') };
        throw usage((s) => s('unknownCamera', p));
      }
      const tty = !json && io.stdout.isTTY === true;
      let pool: ImageWorkerPool<FrameAnalysis> | null = null;
      const probes: DiagnoseProbes = {
        onvif: defaultOnvif,
        analyse: (bytes) => {
          pool ??= new ImageWorkerPool<FrameAnalysis>({ analyser: ANALYSER, size: 2 });
          return pool.analyse(bytes);
        },
        rtsp: hasBinary('ffprobe', io.env) ? ffprobeRtsp() : null,
        thumbnail: (bytes) => jpegThumbnail(bytes),
        timeSync: () => readTimeSync(),
        host: () => hostChecks(),
        statfs: statfsSync,
        ...override,
      };
      try {
        const run = await runDiagnoseWithEvidence(
          {
            config,
            configWarnings: loaded.warnings.map(formatConfigIssue),
            openStoreReadonly: () => {
              const o = openDatabaseReadOnly(config.database, new Date());
              return { ...o, close: () => o.db?.close() };
            },
            now: () => new Date(),
            probes,
          },
          {
            ...(values.camera !== undefined ? { camera: values.camera } : {}),
            ...(tty ? { onProgress: (done: number, total: number, name: string) => io.stdout.write(`\r\x1b[K${say('progress', { done, total, name })}`) } : {}),
            thumbnails: values.report !== undefined,
          },
        );
        const report = run.report;
        if (tty) io.stdout.write('\r\x1b[K');
        const requester = cliRequester(io.env);
        let reportDir: string | null = null;
        if (values.report !== undefined) {
          try {
            const written = writeInspectionReport(resolve(io.cwd, values.report), {
              run,
              config,
              lang,
              requester,
              hostname: hostname(),
              agentVersion: agentVersion(),
              ...(values.camera !== undefined ? { camera: values.camera } : {}),
              command: 'cea diagnose --report',
            });
            reportDir = written.dir;
          } catch (err) {
            io.stderr.write(`${say('reportNotWritten', { dir: values.report, message: (err as Error).message })}\n`);
          }
        }
        const recorded = recordCliInspection(
          config.database,
          { report, startedMs: run.startedMs, finishedMs: run.finishedMs, source: 'cli', requester, camera: values.camera ?? null, reportDir },
          undefined,
          lang,
        );
        if ('problem' in recorded) io.stderr.write(`${say('notRecorded', { problem: recorded.problem })}\n`);
        if (json) printJson(io, reportDir !== null ? { ...report, reportDir } : report);
        else {
          io.stdout.write(`${report.checks.map((c) => line(c, tty, lang)).join('\n')}\n`);
          io.stdout.write(`${say('summary', { total: report.checks.length, ...countStatuses(report.checks) })}\n`);
          if (reportDir !== null) io.stdout.write(`${say('reportAt', { dir: reportDir })}\n`);
        }
        if (values.report !== undefined && reportDir === null) return EXIT_FINDINGS;
        return reportFails(report) ? EXIT_FINDINGS : EXIT_OK;
      } finally {
        await (pool as ImageWorkerPool<FrameAnalysis> | null)?.close();
      }
    },
  };
}

export const diagnoseCommand = makeDiagnoseCommand();
