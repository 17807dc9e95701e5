// Per-camera checks: ONVIF reachable + authenticated + identity, clock skew, stream URI,
// snapshot and its clarity verdict, the recording's last segment, and (last) the RTSP
// stream as ffprobe receives it. A camera in a prohibited place is never contacted.
// Besides the checks, each run fills the camera's facts (identity, stream, clarity, a
// thumbnail) for the acceptance / inspection report.
import { spawn } from 'node:child_process';
import type { AgentConfig, CameraConfig } from '../config/index.js';
import type { FrameAnalysis } from '../clarity/metrics.js';
import { judgeSnapshot, readClarityTracker } from './clarity.js';
import type { Database } from '../../drivers/store/index.js';
import { OnvifClient, isOnvifError, redactUrl, type DeviceIdentity, type DeviceTime, type MediaProfile, type Snapshot } from '../../drivers/onvif/index.js';
import { said, type CameraReport, type Check } from './checks.js';

/** The ONVIF calls diagnose makes (OnvifClient has them). */
export interface OnvifProbe {
  connect(): Promise<DeviceIdentity>;
  readonly timeOffsetMs: number | null;
  getSystemDateAndTime(): Promise<DeviceTime>;
  getProfiles(): Promise<MediaProfile[]>;
  getStreamUri(token: string): Promise<string>;
  getSnapshotUri(token: string): Promise<string | null>;
  fetchSnapshot(uri: string): Promise<Snapshot>;
}

export interface RtspProbeResult {
  codec: string;
  width: number;
  height: number;
  fps: number | null;
  /** bit/s actually received over the probe window. */
  bitrate: number;
}

export interface CameraProbes {
  onvif(camera: CameraConfig): OnvifProbe;
  /** Decode + clarity metrics of a JPEG (the image worker pool's analyse). */
  analyse(bytes: Uint8Array): Promise<{ sourceWidth: number; sourceHeight: number; analysis: FrameAnalysis }>;
  /** ffprobe of the stream for `seconds`; null = not available on this box (the check warns). */
  rtsp: ((uri: string, seconds: number, signal: AbortSignal) => Promise<RtspProbeResult>) | null;
  /** A small JPEG of the snapshot for the report (agent/diagnose/thumbnail.ts). */
  thumbnail?: (bytes: Uint8Array) => Promise<Buffer>;
}

/** One camera's facts as the checks find them; a check that times out leaves what it had. */
export interface CameraFacts {
  report: CameraReport;
  /** The report's thumbnail JPEG (only when asked for). */
  thumbnail: Buffer | null;
}

export function emptyFacts(camera: CameraConfig): CameraFacts {
  return {
    report: {
      id: camera.id,
      name: camera.name,
      location: { kind: camera.location.kind, description: camera.location.description },
      prohibited: camera.prohibited,
      status: 'pass',
      identity: null,
      stream: null,
      rtsp: null,
      clockOffsetMs: null,
      snapshot: null,
      clarity: null,
    },
    thumbnail: null,
  };
}

export function defaultOnvif(camera: CameraConfig): OnvifProbe {
  return new OnvifClient({
    url: camera.onvif.url,
    ...(camera.onvif.username !== undefined ? { username: camera.onvif.username } : {}),
    ...(camera.onvif.password !== undefined ? { password: camera.onvif.password } : {}),
    timeoutMs: 5_000,
  });
}

function withCredentials(uri: string, camera: CameraConfig): string {
  if (camera.onvif.username === undefined) return uri;
  try {
    const u = new URL(uri);
    if (u.username === '') {
      u.username = camera.onvif.username;
      u.password = camera.onvif.password ?? '';
    }
    return u.toString();
  } catch {
    return uri;
  }
}

function onvifFailure(camera: CameraConfig, i: number, err: unknown): Check {
  const name = `camera ${camera.id}: onvif`;
  const url = redactUrl(camera.onvif.url);
  if (!isOnvifError(err)) return said(name, 'fail', 'onvif.error', { url, message: (err as Error).message, index: i });
  const p = { id: camera.id, url, message: err.message, index: i };
  switch (err.code) {
    case 'unreachable':
      return said(name, 'fail', 'onvif.unreachable', p);
    case 'timeout':
      return said(name, 'fail', 'onvif.timeout', p);
    case 'unauthorized':
      return camera.onvif.username === undefined
        ? said(name, 'fail', 'onvif.noCredentials', { id: camera.id, index: i })
        : said(name, 'fail', 'onvif.wrongPassword', { id: camera.id, user: camera.onvif.username, index: i });
    default:
      return said(name, 'fail', 'onvif.unexpected', { ...p, code: err.code });
  }
}

function lastSegmentCheck(camera: CameraConfig, db: Database | null, nowMs: number, timeZone: string): Check {
  const name = `camera ${camera.id}: recording`;
  if (!camera.record) return said(name, 'pass', 'recording.notRecorded');
  if (!db) return said(name, 'warn', 'recording.noDatabase');
  let endMs: number | null = null;
  try {
    endMs = db.prepare<[string], { end: number | null }>("SELECT max(end_ms) AS end FROM segments WHERE camera_id = ? AND state = 'present'").get(camera.id)?.end ?? null;
  } catch (err) {
    return said(name, 'warn', 'recording.indexUnreadable', { message: (err as Error).message });
  }
  if (endMs === null) return said(name, 'fail', 'recording.none', { id: camera.id });
  const age = nowMs - endMs;
  const p = { id: camera.id, ageMs: Math.max(0, age), endMs, timeZone };
  if (age > 15 * 60_000) return said(name, 'fail', 'recording.stopped', p);
  if (age > 5 * 60_000) return said(name, 'warn', 'recording.stalling', p);
  return said(name, 'pass', 'recording.ok', p);
}

export interface CameraCheckInput {
  config: AgentConfig;
  camera: CameraConfig;
  index: number;
  db: Database | null;
  nowMs: number;
  probes: CameraProbes;
  signal: AbortSignal;
  /** Filled as the checks go (a fresh one when absent). */
  facts?: CameraFacts;
  /** Make the report's thumbnail of the snapshot. */
  thumbnails?: boolean;
}

/** Every check of one camera, in a fixed order. */
export async function cameraChecks(x: CameraCheckInput): Promise<Check[]> {
  const { camera, index: i, probes } = x;
  const facts = (x.facts ??= emptyFacts(camera));
  const p = (what: string) => `camera ${camera.id}: ${what}`;
  if (camera.prohibited) {
    return [
      said(p('prohibited'), 'fail', 'camera.prohibited', { id: camera.id, kind: camera.location.kind, index: i }),
    ];
  }
  const out: Check[] = [];
  const client = probes.onvif(camera);
  let identity: DeviceIdentity;
  try {
    identity = await client.connect();
  } catch (err) {
    out.push(onvifFailure(camera, i, err));
    if (client.timeOffsetMs !== null) {
      facts.report.clockOffsetMs = client.timeOffsetMs;
      out.push(clockCheck(x, client.timeOffsetMs, null));
    }
    return out;
  }
  facts.report.identity = { manufacturer: identity.manufacturer, model: identity.model, firmware: identity.firmware, serial: identity.serial };
  out.push(
    said(p('onvif'), 'pass', 'onvif.ok', {
      url: redactUrl(camera.onvif.url),
      manufacturer: identity.manufacturer,
      model: identity.model,
      firmware: identity.firmware,
      serial: identity.serial,
    }),
  );
  let ntp: boolean | null = null;
  try {
    ntp = (await client.getSystemDateAndTime()).ntp;
  } catch {
    // the offset from connect() is enough
  }
  facts.report.clockOffsetMs = client.timeOffsetMs;
  if (client.timeOffsetMs !== null) out.push(clockCheck(x, client.timeOffsetMs, ntp));
  else out.push(said(p('clock'), 'warn', 'clock.unreported', { id: camera.id }));
  if (x.signal.aborted) return out;

  let profile: MediaProfile | undefined;
  let streamUri: string | null = null;
  try {
    const profiles = await client.getProfiles();
    profile = profiles.find((pr) => pr.encoder !== null) ?? profiles[0];
    if (!profile) {
      out.push(said(p('stream'), 'fail', 'stream.noProfile', { id: camera.id }));
    } else {
      streamUri = profile.streamUri ?? (await client.getStreamUri(profile.token));
      const e = profile.encoder;
      facts.report.stream = {
        profile: profile.name,
        uri: redactUrl(streamUri),
        encoding: e?.encoding ?? null,
        width: e?.width ?? null,
        height: e?.height ?? null,
        fps: e?.fps ?? null,
        bitrateKbps: e?.bitrate ?? null,
      };
      const encoder = e ? { encoding: e.encoding, width: e.width, height: e.height, fps: e.fps, bitrate: e.bitrate } : null;
      out.push(said(p('stream'), 'pass', 'stream.ok', { profile: profile.name, uri: redactUrl(streamUri), encoder }));
    }
  } catch (err) {
    out.push(said(p('stream'), 'fail', 'stream.error', { id: camera.id, message: (err as Error).message }));
  }
  if (x.signal.aborted) return out;

  if (profile) out.push(await snapshotCheck(x, client, profile));
  out.push(lastSegmentCheck(camera, x.db, x.nowMs, x.config.site.timezone));
  if (streamUri !== null && !x.signal.aborted) out.push(await rtspCheck(x, streamUri));
  return out;
}

function clockCheck(x: CameraCheckInput, offsetMs: number, ntp: boolean | null): Check {
  const id = x.camera.id;
  const limitS = x.config.monitor.clockSkewLimitSeconds;
  const p = { id, offsetMs, limitS, ntp };
  if (Math.abs(offsetMs) / 1000 > limitS) return said(`camera ${id}: clock`, 'fail', 'clock.skewed', p);
  return said(`camera ${id}: clock`, 'pass', 'clock.ok', p);
}

async function snapshotCheck(x: CameraCheckInput, client: OnvifProbe, profile: MediaProfile): Promise<Check> {
  const id = x.camera.id;
  const name = `camera ${id}: snapshot`;
  let bytes: Buffer;
  try {
    const uri = profile.snapshotUri ?? (await client.getSnapshotUri(profile.token));
    if (uri === null) return said(name, 'warn', 'snapshot.noUri', { id });
    bytes = (await client.fetchSnapshot(uri)).body;
  } catch (err) {
    return said(name, 'fail', 'snapshot.fetchFailed', { id, message: (err as Error).message, user: x.camera.onvif.username ?? null });
  }
  const facts = x.facts ?? emptyFacts(x.camera);
  // The monitor's learned baseline, when it has one: the same judgement the agent makes.
  const tracker = readClarityTracker(x.db, id);
  let analysis: FrameAnalysis | null = null;
  let size = '';
  try {
    const r = await x.probes.analyse(bytes);
    size = `${r.sourceWidth}x${r.sourceHeight}`;
    analysis = r.analysis;
    facts.report.snapshot = { width: r.sourceWidth, height: r.sourceHeight, bytes: bytes.length };
  } catch (err) {
    size = (err as Error).message;
  }
  const j = judgeSnapshot(analysis, tracker);
  facts.report.clarity = {
    verdict: j.verdict,
    faults: j.faults,
    judgedAgainst: j.judgedAgainst,
    mode: j.mode,
    metrics: analysis ? roundMetrics(analysis.metrics as unknown as Record<string, number>) : null,
  };
  if (x.thumbnails && analysis && x.probes.thumbnail) {
    try {
      facts.thumbnail = await x.probes.thumbnail(bytes);
    } catch {
      facts.thumbnail = null; // the report says "no picture"; the verdict stands
    }
  }
  const judged = { id, judgedAgainst: j.judgedAgainst, mode: j.mode, hasTracker: tracker !== null, size };
  if (j.faults.length === 0) return said(name, 'pass', 'snapshot.clear', { ...judged, bytes: bytes.length });
  return said(name, 'fail', 'snapshot.fault', { ...judged, faults: [...j.faults] });
}

function roundMetrics(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.round(v * 1000) / 1000;
  return out;
}

async function rtspCheck(x: CameraCheckInput, uri: string): Promise<Check> {
  const id = x.camera.id;
  const name = `camera ${id}: rtsp`;
  if (!x.probes.rtsp) return said(name, 'warn', 'rtsp.noFfprobe');
  try {
    const r = await x.probes.rtsp(withCredentials(uri, x.camera), 3, x.signal);
    if (x.facts) x.facts.report.rtsp = { codec: r.codec, width: r.width, height: r.height, fps: r.fps, bitrate: Math.round(r.bitrate) };
    return said(name, 'pass', 'rtsp.ok', { codec: r.codec, width: r.width, height: r.height, fps: r.fps, bitrate: r.bitrate });
  } catch (err) {
    return said(name, 'fail', 'rtsp.failed', { id, uri: redactUrl(uri), message: (err as Error).message });
  }
}

/** ffprobe, when it is installed: reads `seconds` of the stream and reports what arrived. */
export function ffprobeRtsp(binary = 'ffprobe'): CameraProbes['rtsp'] {
  return (uri, seconds, signal) =>
    new Promise((resolve, reject) => {
      const args = [
        '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000',
        '-select_streams', 'v:0', '-read_intervals', `%+${seconds}`,
        '-show_entries', 'stream=codec_name,width,height,avg_frame_rate:packet=size,pts_time',
        '-of', 'json', uri,
      ];
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 7) * 1000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) {
          // ffprobe names the URL (with its credentials) in its message: keep only the reason.
          const line = err.trim().split('\n').pop() ?? '';
          const last = line.slice(line.lastIndexOf(': ') + 1).trim().replace(/\/\/[^/@\s]+@/g, '//');
          return reject(new Error(last || `ffprobe exited with ${code}`));
        }
        try {
          const doc = JSON.parse(out) as { streams?: { codec_name?: string; width?: number; height?: number; avg_frame_rate?: string }[]; packets?: { size?: string; pts_time?: string }[] };
          const s = doc.streams?.[0];
          if (!s) return reject(new Error('no video stream received'));
          const packets = doc.packets ?? [];
          const bytes = packets.reduce((n, pk) => n + Number(pk.size ?? 0), 0);
          const times = packets.map((pk) => Number(pk.pts_time)).filter(Number.isFinite);
          const span = times.length > 1 ? Math.max(...times) - Math.min(...times) : seconds;
          const [a, b] = (s.avg_frame_rate ?? '').split('/').map(Number);
          const fps = a !== undefined && b !== undefined && b > 0 ? a / b : null;
          resolve({ codec: s.codec_name ?? 'unknown', width: s.width ?? 0, height: s.height ?? 0, fps, bitrate: span > 0 ? (bytes * 8) / span : 0 });
        } catch (e) {
          reject(new Error(`unreadable ffprobe output: ${(e as Error).message}`));
        }
      });
    });
}
