// `cea diagnose` and the `diagnose` verb share this: the checks, each with a deadline,
// cameras 8 at once, every failure turned into a check with advice (never a crash).
// Read-only on the database; no recorder is started; the broker round trip uses its own
// short connection with a distinct client id.
import type { AgentConfig } from '../config/index.js';
import type { StatFs } from '../retention/service.js';
import { runTask, mapBounded, worstStatus, type Check, type CheckTask, type DiagnoseReport } from './checks.js';
import { brokerCheck, platformKeyChecks } from './broker.js';
import { cameraChecks, emptyFacts, type CameraFacts, type CameraProbes } from './cameras.js';
import { configCheck, databaseCheck, type OpenedDatabase } from './config-store.js';
import { timeSyncCheck, type TimeSyncState } from './host.js';
import { storageChecks, writableCheck } from './storage.js';

export interface DiagnoseProbes extends CameraProbes {
  timeSync(): Promise<TimeSyncState | null>;
  host(): Promise<Check[]>;
  statfs?: StatFs;
}

export interface DiagnoseDeps {
  config: AgentConfig;
  /** Config warnings (formatted) to show in the config check. */
  configWarnings?: readonly string[];
  /** The database for reading (a read-only handle, or the running agent's own). */
  openStoreReadonly(): OpenedDatabase;
  now: () => Date;
  probes: DiagnoseProbes;
  /** Per-check deadlines (tests shorten them). */
  deadlines?: Partial<{ brokerMs: number; cameraMs: number; hostMs: number; otherMs: number }>;
  cameraConcurrency?: number;
}

export interface DiagnoseOptions {
  /** Only this camera's checks (plus the box's); unknown ids are the caller's to refuse. */
  camera?: string;
  onProgress?(done: number, total: number, name: string): void;
  /** Make a thumbnail of each camera's snapshot (for a written report). */
  thumbnails?: boolean;
}

/** A run with what the report needs beyond the JSON document. */
export interface DiagnoseRun {
  report: DiagnoseReport;
  startedMs: number;
  finishedMs: number;
  /** Camera id → thumbnail JPEG, for the cameras that gave a picture (only with `thumbnails`). */
  thumbnails: Map<string, Buffer>;
}

export async function runDiagnose(deps: DiagnoseDeps, opts: DiagnoseOptions = {}): Promise<DiagnoseReport> {
  return (await runDiagnoseWithEvidence(deps, opts)).report;
}

export async function runDiagnoseWithEvidence(deps: DiagnoseDeps, opts: DiagnoseOptions = {}): Promise<DiagnoseRun> {
  const { config, probes } = deps;
  const d = { brokerMs: 10_000, cameraMs: 40_000, hostMs: 15_000, otherMs: 15_000, ...deps.deadlines };
  const nowMs = deps.now().getTime();
  const opened = deps.openStoreReadonly();
  try {
    const db = opened.db;
    const cameras = config.cameras.map((camera, index) => ({ camera, index })).filter((c) => opts.camera === undefined || c.camera.id === opts.camera);
    const tasks: CheckTask[] = [
      { name: 'config', deadlineMs: d.otherMs, run: async () => [configCheck(config, deps.configWarnings ?? [])] },
      { name: 'database', deadlineMs: d.otherMs, run: async () => [databaseCheck(config, opened)] },
      { name: 'storage', deadlineMs: d.otherMs, run: async () => [writableCheck(config), ...storageChecks(config, db, nowMs, probes.statfs)] },
      { name: 'time: box', deadlineMs: d.otherMs, run: async () => [timeSyncCheck(await probes.timeSync())] },
      { name: 'broker', deadlineMs: d.brokerMs, run: async () => [await brokerCheck(config)] },
      { name: 'platform keys', deadlineMs: d.otherMs, run: async () => platformKeyChecks(config) },
      { name: 'host', deadlineMs: d.hostMs, run: () => probes.host() },
    ];
    const facts: CameraFacts[] = cameras.map(({ camera }) => emptyFacts(camera));
    const cameraTasks: CheckTask[] = cameras.map(({ camera, index }, k) => ({
      name: `camera ${camera.id}`,
      deadlineMs: d.cameraMs,
      run: (signal) => cameraChecks({ config, camera, index, db, nowMs, probes, signal, facts: facts[k]!, thumbnails: opts.thumbnails === true }),
    }));
    const total = tasks.length + cameraTasks.length;
    let done = 0;
    const tick = async (t: CheckTask): Promise<Check[]> => {
      const r = await runTask(t);
      done += 1;
      opts.onProgress?.(done, total, t.name);
      return r;
    };
    const [general, perCamera] = await Promise.all([
      Promise.all(tasks.map(tick)),
      mapBounded(cameraTasks, deps.cameraConcurrency ?? 8, tick),
    ]);
    const thumbnails = new Map<string, Buffer>();
    const reports = facts.map((f, k) => {
      const own = perCamera[k] ?? [];
      if (f.thumbnail) thumbnails.set(f.report.id, f.thumbnail);
      return { ...f.report, status: worstStatus(own.map((c) => c.status)) };
    });
    return {
      report: { checks: [...general.flat(), ...perCamera.flat()], cameras: reports },
      startedMs: nowMs,
      finishedMs: deps.now().getTime(),
      thumbnails,
    };
  } finally {
    opened.close();
  }
}

/** Exit status of a report: 1 when any check fails. */
export function reportFails(r: DiagnoseReport): boolean {
  return r.checks.some((c) => c.status === 'fail');
}
