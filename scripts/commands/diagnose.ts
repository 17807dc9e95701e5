// `cea diagnose [--config F] [--json] [--camera ID] [--report DIR] [--lang zh-CN|en]`: the
// technician checklist (DESIGN.md). With --report, also the dated acceptance / inspection
// report. Every run is recorded in the inspection history: the database is opened for
// writing for that one insert only (diagnose is read-only otherwise), and a database that
// cannot take it (read-only, locked, too old) is said on stderr, never fatal.
// Exit 0 when no check fails, 1 when one does, 2 on a usage or config error.
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, statfsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import { formatConfigIssue, loadConfigFile } from '../../agent/config/index.js';
import { check, type Check } from '../../agent/diagnose/checks.js';
import { defaultOnvif, ffprobeRtsp } from '../../agent/diagnose/cameras.js';
import { hostChecks, readTimeSync } from '../../agent/diagnose/host.js';
import { recordInspection, type InspectionInput } from '../../agent/diagnose/inspections.js';
import { writeInspectionReport } from '../../agent/diagnose/report.js';
import { reportFails, runDiagnoseWithEvidence, type DiagnoseProbes } from '../../agent/diagnose/run.js';
import { jpegThumbnail } from '../../agent/diagnose/thumbnail.js';
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

function line(c: Check, colour: boolean): string {
  const mark = colour ? `${COLOUR[c.status]}${MARK[c.status]}\x1b[0m` : MARK[c.status];
  return `${mark} ${c.name}: ${c.detail}${c.advice ? `\n    → ${c.advice}` : ''}`;
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
export function recordCliInspection(file: string, input: InspectionInput, busyTimeoutMs = 2_000): { id: string } | { problem: string } {
  if (!existsSync(file)) return { problem: `no database at ${file} (start the agent once)` };
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('synchronous = FULL');
    return { id: recordInspection(db, input) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const why = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
      ? 'the database is locked by another process'
      : code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN'
        ? 'the database is read-only for this user'
        : /no such table: inspections/.test((err as Error).message)
          ? 'the database has no inspection history yet (an older schema): start this version of the agent once'
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
      if (values.report !== undefined && values.report.trim() === '') throw new UsageError('--report needs a directory');
      const chosen = values.config ?? (existsSync(join(io.cwd, 'config/agent.yaml')) ? 'config/agent.yaml' : undefined);
      if (chosen === undefined) throw new UsageError('no config: give --config FILE (or create config/agent.yaml)');
      const loaded = loadConfigFile(resolve(io.cwd, chosen), { env: io.env, cwd: io.cwd });
      if (!loaded.ok) {
        const errors = loaded.errors.map(formatConfigIssue);
        if (json) printJson(io, { checks: [check('config', 'fail', `${errors.length} error(s) in ${chosen}: ${errors.join('; ')}`, 'fix the listed settings (`cea validate-config` shows them with line numbers)')] });
        else {
          for (const e of errors) io.stderr.write(`${e}\n`);
          io.stderr.write(`cea diagnose: ${errors.length} error(s) in ${chosen}\n`);
        }
        return EXIT_USAGE;
      }
      const config = loaded.config;
      if (values.camera !== undefined && !config.cameras.some((c) => c.id === values.camera)) {
        throw new UsageError(`--camera: no camera "${values.camera}" in ${chosen} (cameras: ${config.cameras.map((c) => c.id).join(', ') || 'none'})`);
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
            ...(tty ? { onProgress: (done: number, total: number, name: string) => io.stdout.write(`\r\x1b[K[${done}/${total}] ${name} done`) } : {}),
            thumbnails: values.report !== undefined,
          },
        );
        const report = run.report;
        if (tty) io.stdout.write('\r\x1b[K');
        const requester = cliRequester(io.env);
        let reportDir: string | null = null;
        if (values.report !== undefined) {
          const lang = commandLanguage(io, values.lang, config);
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
            io.stderr.write(`cea diagnose: the report could not be written to ${values.report}: ${(err as Error).message}\n`);
          }
        }
        const recorded = recordCliInspection(config.database, {
          report,
          startedMs: run.startedMs,
          finishedMs: run.finishedMs,
          source: 'cli',
          requester,
          camera: values.camera ?? null,
          reportDir,
        });
        if ('problem' in recorded) io.stderr.write(`cea diagnose: the inspection was not recorded: ${recorded.problem}\n`);
        if (json) printJson(io, reportDir !== null ? { ...report, reportDir } : report);
        else {
          io.stdout.write(`${report.checks.map((c) => line(c, tty)).join('\n')}\n`);
          const n = (s: Check['status']) => report.checks.filter((c) => c.status === s).length;
          io.stdout.write(`${report.checks.length} checks: ${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail\n`);
          if (reportDir !== null) io.stdout.write(`report: ${reportDir}\n`);
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
