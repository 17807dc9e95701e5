import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import {
  DEFAULT_BACKOFF_MS,
  startSegmentRecorder,
  Supervisor,
  withCredentials,
  type ParentDeath,
  type RunContext,
  type RunHandle,
  type SpawnFn,
  type SupervisorState,
  type Transition,
} from '../../drivers/ffmpeg/index.js';
import type { Logger } from '../../drivers/log/logger.js';
import { scrubText } from '../../drivers/log/redact.js';
import type { Database } from '../../drivers/store/index.js';
import type { CameraConfig } from '../config/types.js';
import type { EventRecorder } from '../events/index.js';
import { withDeadline, type Service } from '../lifecycle/service.js';
import { parseSegmentPath } from './layout.js';
import { SegmentStore } from './segment-store.js';

export interface RecordingServiceDeps {
  db: Database;
  recorder: EventRecorder;
  logger: Logger;
  now: () => Date;
  cameras: CameraConfig[];
  /** storage.root (absolute). */
  storageRoot: string;
  /** Site time zone: segment names and day directories are in it. */
  timeZone: string;
  /** Segment length; default 60 s. */
  segmentSeconds?: number;
  /** The camera's RTSP URI (from the inventory / ONVIF GetStreamUri); credentials are added here. */
  streamUri: (camera: CameraConfig) => Promise<string>;
  spawn?: SpawnFn;
  ffmpegPath?: string;
  /** Restart delays after failures; default 1, 2, 5, 10, 30, 60 s. */
  backoffMs?: readonly number[];
  /** Deadline of one streamUri() call; default 15 s. */
  streamUriTimeoutMs?: number;
  /** How ffmpeg is tied to the agent's life (default: setpriv's parent-death signal when present). */
  parentDeath?: ParentDeath;
}

export type RecordingState = SupervisorState | 'prohibited' | 'disabled';

export interface CameraRecordingStatus {
  /** recording | starting | stalled | backoff | stopped; 'prohibited' and 'disabled' (record: false) never record. */
  state: RecordingState;
  /** When a segment last opened or closed. */
  lastSegmentAt: Date | null;
  /** Since when the camera is not recording, once recording.stopped was raised; null while fine. */
  downSince: Date | null;
  /** Why it is not recording (exited, stalled, launch_failed, or stopCamera's reason). */
  reason: string | null;
  /** Consecutive failed runs (the backoff position). */
  failures: number;
  /** The running ffmpeg's pid, if any. */
  pid: number | null;
}

/** Stopping the agent must stay under its 2.5 s per-service budget (agent/main.ts). */
const KILL_GRACE_MS = 2000;
const INDEX_DRAIN_MS = 400;
/** A name off the wall clock by more than this means ffmpeg is not naming in the site zone. */
const NAME_SKEW_LIMIT_MS = 120_000;

interface CameraRun {
  camera: CameraConfig;
  logger: Logger;
  supervisor: Supervisor;
  startedAt: number;
  lastSegmentAt: number | null;
  /** Set while a recording.stopped stands without its recording.resumed. */
  down: { since: number; reason: string } | null;
  pid: number | null;
  /** Indexing of this camera's segments, one after the other. */
  chain: Promise<void>;
  warnedSkew: boolean;
}

/**
 * Records every camera with `record: true` that is not in a prohibited place: one ffmpeg
 * per camera under a Supervisor (restart with backoff, stall detection), each closed
 * segment indexed (start from its name, end from its mtime, bytes, SHA-256 hashed off the
 * event loop by streaming), and `recording.stopped` / `recording.resumed` raised once per
 * transition. Retention calls stopCamera/startCamera to stop the lowest-priority cameras
 * rather than delete protected recordings.
 */
export class RecordingService implements Service {
  readonly name = 'recording';
  private readonly runs = new Map<string, CameraRun>();
  private readonly segments: SegmentStore;
  private readonly root: string;
  private readonly segmentSeconds: number;
  private started = false;
  private closed = false;

  constructor(private readonly deps: RecordingServiceDeps) {
    this.segments = new SegmentStore(deps.db);
    this.root = resolve(deps.storageRoot);
    this.segmentSeconds = deps.segmentSeconds ?? 60;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const camera of this.deps.cameras) {
      // Liaoning Art. 9 / Datong Art. 9: a camera in a prohibited place is never recorded, whatever `record` says.
      if (camera.prohibited || !camera.record) continue;
      const run = this.makeRun(camera);
      this.runs.set(camera.id, run);
      run.supervisor.start();
    }
    const prohibited = this.deps.cameras.filter((c) => c.prohibited && c.record).map((c) => c.id);
    if (prohibited.length > 0) this.deps.logger.warn({ cameras: prohibited }, 'cameras in prohibited places are not recorded');
    this.deps.logger.info({ cameras: [...this.runs.keys()], segmentSeconds: this.segmentSeconds, root: this.root }, 'recording');
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    // Every ffmpeg gets SIGTERM at once and finalises its segment; no events: the agent's
    // own stop is published as its state.
    await Promise.allSettled([...this.runs.values()].map((r) => r.supervisor.stop('agent_stopping')));
    await withDeadline(INDEX_DRAIN_MS, () => Promise.allSettled([...this.runs.values()].map((r) => r.chain)));
    // Anything still unindexed is adopted by retention's reconciliation at the next start.
    this.closed = true;
  }

  /** Recording status of a camera, or null for a camera not in the config. */
  state(cameraId: string): CameraRecordingStatus | null {
    const camera = this.deps.cameras.find((c) => c.id === cameraId);
    if (!camera) return null;
    const run = this.runs.get(cameraId);
    if (!run) {
      const state: RecordingState = camera.prohibited ? 'prohibited' : 'disabled';
      return { state, lastSegmentAt: null, downSince: null, reason: state, failures: 0, pid: null };
    }
    return {
      state: run.supervisor.state,
      lastSegmentAt: run.lastSegmentAt === null ? null : new Date(run.lastSegmentAt),
      downSince: run.down ? new Date(run.down.since) : null,
      reason: run.down?.reason ?? null,
      failures: run.supervisor.consecutiveFailures,
      pid: run.pid,
    };
  }

  /**
   * Stops recording a camera (retention past the hard watermark: stop rather than delete
   * protected recordings). Raises recording.stopped with `reason` unless already down.
   * False for a camera this service does not record.
   */
  async stopCamera(cameraId: string, reason: string): Promise<boolean> {
    const run = this.runs.get(cameraId);
    if (!run || this.closed) return false;
    await run.supervisor.stop(reason);
    return true;
  }

  /** Starts a camera stopped by stopCamera again; recording.resumed follows its first segment. */
  startCamera(cameraId: string): boolean {
    const run = this.runs.get(cameraId);
    if (!run || !this.started || this.closed) return false;
    run.supervisor.start();
    return true;
  }

  private makeRun(camera: CameraConfig): CameraRun {
    const logger = this.deps.logger.child({ camera: camera.id });
    const run: CameraRun = {
      camera,
      logger,
      supervisor: undefined as unknown as Supervisor,
      startedAt: this.nowMs(),
      lastSegmentAt: null,
      down: null,
      pid: null,
      chain: Promise.resolve(),
      warnedSkew: false,
    };
    run.supervisor = new Supervisor({
      launch: (ctx) => this.launch(run, ctx),
      stallAfterMs: 2 * this.segmentSeconds * 1000,
      // Connecting, authenticating and probing the stream come before the first segment.
      startTimeoutMs: Math.max(2 * this.segmentSeconds * 1000, 15_000),
      backoffMs: this.deps.backoffMs ?? DEFAULT_BACKOFF_MS,
      now: () => this.nowMs(),
      onTransition: (t) => this.onTransition(run, t),
      onError: (err) => logger.warn({ err }, 'recorder supervision error'),
    });
    return run;
  }

  private async launch(run: CameraRun, ctx: RunContext): Promise<RunHandle> {
    const { camera, logger } = run;
    const uri = await withDeadline(this.deps.streamUriTimeoutMs ?? 15_000, () => this.deps.streamUri(camera));
    if (uri === 'timeout') throw new Error('no stream URI: the camera did not answer in time');
    const url = withCredentials(uri, camera.onvif.username, camera.onvif.password);
    if (!ctx.current) return { stop: async () => undefined };
    const recorder = startSegmentRecorder({
      url,
      outputDir: join(this.root, camera.id),
      segmentSeconds: this.segmentSeconds,
      timeZone: this.deps.timeZone,
      killGraceMs: KILL_GRACE_MS,
      now: () => this.nowMs(),
      ...(this.deps.ffmpegPath !== undefined ? { ffmpegPath: this.deps.ffmpegPath } : {}),
      ...(this.deps.spawn ? { spawn: this.deps.spawn } : {}),
      ...(this.deps.parentDeath ? { parentDeath: this.deps.parentDeath } : {}),
      onOpened: (path) => {
        run.lastSegmentAt = this.nowMs();
        this.checkName(run, path);
        ctx.progress();
      },
      onClosed: (path, how) => {
        // Indexed whatever the generation: a file a dying run closed is a real recording.
        this.index(run, path);
        if (how === 'closed') {
          run.lastSegmentAt = this.nowMs();
          ctx.progress();
        }
      },
      onExit: (exit) => {
        if (run.pid === recorder.pid) run.pid = null;
        if (exit.requested) return;
        logger.warn({ code: exit.code, signal: exit.signal, error: exit.error }, 'ffmpeg ended');
        ctx.exited('exited', exit.error);
      },
      onLine: (line) => logger.debug({ ffmpeg: line }, 'ffmpeg'),
    });
    run.pid = recorder.pid ?? null;
    logger.info({ url: recorder.safeUrl, pid: recorder.pid, generation: ctx.generation }, 'ffmpeg started');
    return { stop: () => recorder.stop() };
  }

  private onTransition(run: CameraRun, t: Transition): void {
    const { camera, logger } = run;
    if (t.to === 'backoff') logger.info({ reason: t.reason, detail: t.detail, delayMs: t.delayMs, failures: t.failures }, 'recorder restarts after a delay');
    else logger.debug({ from: t.from, to: t.to, reason: t.reason }, 'recorder state');

    const goingDown = t.to === 'stalled' || t.to === 'backoff' || (t.to === 'stopped' && t.reason !== 'agent_stopping');
    if (goingDown && !run.down && t.reason) {
      // Since when nothing is being recorded: an exit or an operator stop ends it now; a
      // stall (or a run that never got going) since the last sign of a segment.
      const since = t.from === 'recording' && t.reason !== 'stalled' ? t.at : (run.lastSegmentAt ?? run.startedAt);
      const data: Record<string, unknown> = { reason: t.reason, since: new Date(since).toISOString() };
      if (t.detail) data.detail = scrubText(t.detail);
      this.raise(run, () => (run.down = { since, reason: t.reason ?? 'stopped' }), { type: 'recording.stopped', severity: 'warning', camera: camera.id, data });
      logger.warn(data, 'recording stopped');
    } else if (t.to === 'recording' && run.down) {
      const { since } = run.down;
      const downtimeMs = Math.max(0, t.at - since);
      this.raise(run, () => (run.down = null), {
        type: 'recording.resumed',
        severity: 'info',
        camera: camera.id,
        data: { downtimeMs, since: new Date(since).toISOString() },
      });
      logger.info({ downtimeMs }, 'recording resumed');
    }
  }

  private raise(run: CameraRun, apply: () => void, event: Parameters<EventRecorder['record']>[0]): void {
    if (this.closed) {
      apply();
      return;
    }
    try {
      this.deps.recorder.withFact((append) => {
        append(event);
      });
      apply();
    } catch (err) {
      // Not marked as raised: the next transition tries again.
      run.logger.error({ err, type: event.type }, 'could not record the event');
    }
  }

  private index(run: CameraRun, absPath: string): void {
    run.chain = run.chain.then(() =>
      this.indexOne(run, absPath).catch((err: unknown) => run.logger.warn({ err, path: absPath }, 'could not index segment')),
    );
  }

  private async indexOne(run: CameraRun, absPath: string): Promise<void> {
    const rel = relative(this.root, absPath).split(sep).join('/');
    const parsed = parseSegmentPath(rel, this.deps.timeZone);
    if (!parsed || parsed.cameraId !== run.camera.id) {
      run.logger.warn({ path: rel }, 'segment outside the recording layout; not indexed');
      return;
    }
    const st = await stat(absPath);
    if (st.size === 0 || this.closed) return;
    const endMs = Math.max(parsed.startMs, Math.round(st.mtimeMs));
    const segment = { cameraId: run.camera.id, path: rel, startMs: parsed.startMs, endMs, bytes: st.size, sha256: null };
    // Indexed first (queryable and protected at once), hashed after.
    const id = this.segments.upsert(segment, this.nowMs());
    const sha256 = await sha256File(absPath);
    if (this.closed) return;
    const after = await stat(absPath).catch(() => null);
    if (!after || after.size !== st.size) return; // changed or gone meanwhile: reconciliation re-hashes
    this.segments.setHash(id, sha256);
    run.logger.debug({ path: rel, bytes: st.size, sha256 }, 'segment indexed');
  }

  private checkName(run: CameraRun, absPath: string): void {
    const rel = relative(this.root, absPath).split(sep).join('/');
    // ffmpeg truncates a file it opens: a name already indexed means the clock went back
    // (NTP step, daylight saving) and an earlier recording was just overwritten.
    const existing = this.closed ? null : this.segments.byPath(rel);
    if (existing && existing.state === 'present') {
      run.logger.error({ path: rel, segmentId: existing.id }, 'segment name reused (clock went back?): the earlier recording with this name was overwritten');
    }
    if (run.warnedSkew) return;
    const parsed = parseSegmentPath(rel, this.deps.timeZone);
    if (!parsed) return;
    const skew = parsed.startMs - this.nowMs();
    if (Math.abs(skew) > NAME_SKEW_LIMIT_MS) {
      run.warnedSkew = true;
      run.logger.error({ path: absPath, skewMs: skew, timeZone: this.deps.timeZone }, 'segment names are not in the site time zone (check ffmpeg TZ / zoneinfo)');
    }
  }

  private nowMs(): number {
    return this.deps.now().getTime();
  }
}

/** SHA-256 of a file, streamed: reads are async I/O and the digest is fed chunk by chunk. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
