// `cea diagnose [--config F] [--json] [--camera ID]`: the technician checklist (DESIGN.md).
// Exit 0 when no check fails, 1 when one does, 2 on a usage or config error.
import { existsSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import { formatConfigIssue, loadConfigFile } from '../../agent/config/index.js';
import { check, type Check } from '../../agent/diagnose/checks.js';
import { defaultOnvif, ffprobeRtsp } from '../../agent/diagnose/cameras.js';
import { hostChecks, readTimeSync } from '../../agent/diagnose/host.js';
import { reportFails, runDiagnose, type DiagnoseProbes } from '../../agent/diagnose/run.js';
import { ImageWorkerPool } from '../../drivers/image/index.js';
import { parseCommandArgs } from '../cli/args.js';
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

/** The command with injectable probes (tests replace the box-specific ones). */
export function makeDiagnoseCommand(override: Partial<DiagnoseProbes> = {}): Command {
  return {
    name: 'diagnose',
    summary: 'technician checklist: config, database, storage, time, broker, keys, each camera, host',
    usage: 'diagnose [--config FILE] [--json] [--camera ID]',
    async run(argv, io: CommandIo) {
      const { values } = parseCommandArgs(argv, { config: { type: 'string' }, json: { type: 'boolean' }, camera: { type: 'string' } }, false);
      const json = values.json === true;
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
        timeSync: () => readTimeSync(),
        host: () => hostChecks(),
        statfs: statfsSync,
        ...override,
      };
      try {
        const report = await runDiagnose(
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
          },
        );
        if (tty) io.stdout.write('\r\x1b[K');
        if (json) printJson(io, report);
        else {
          io.stdout.write(`${report.checks.map((c) => line(c, tty)).join('\n')}\n`);
          const n = (s: Check['status']) => report.checks.filter((c) => c.status === s).length;
          io.stdout.write(`${report.checks.length} checks: ${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail\n`);
        }
        return reportFails(report) ? EXIT_FINDINGS : EXIT_OK;
      } finally {
        await (pool as ImageWorkerPool<FrameAnalysis> | null)?.close();
      }
    },
  };
}

export const diagnoseCommand = makeDiagnoseCommand();
