// Per-camera checks: ONVIF reachable + authenticated + identity, clock skew, stream URI,
// snapshot and its clarity verdict, the recording's last segment, and (last) the RTSP
// stream as ffprobe receives it. A camera in a prohibited place is never contacted.
// Besides the checks, each run fills the camera's facts (identity, stream, clarity, a
// thumbnail) for the acceptance / inspection report.
import { spawn } from 'node:child_process';
import type { AgentConfig, CameraConfig } from '../config/index.js';
import type { FaultCode } from '../clarity/faults.js';
import type { FrameAnalysis } from '../clarity/metrics.js';
import { judgeSnapshot, readClarityTracker } from './clarity.js';
import type { Database } from '../../drivers/store/index.js';
import { OnvifClient, isOnvifError, redactUrl, type DeviceIdentity, type DeviceTime, type MediaProfile, type Snapshot } from '../../drivers/onvif/index.js';
import { ageText, check, type CameraReport, type Check } from './checks.js';

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

const FAULT_ADVICE: Partial<Record<FaultCode, string>> = {
  blur: 'clean the lens and refocus the camera (check for condensation or a spider web)',
  too_dark: 'check the IR illuminator / scene lighting and the exposure settings',
  too_bright: 'check for direct light into the lens and the exposure / WDR settings',
  low_contrast: 'clean the lens (haze) and check the exposure settings',
  occlusion: 'remove what covers the lens, or re-aim the camera',
  signal_loss: 'check the camera\'s sensor and its video source settings',
  noise: 'improve the lighting or lower the gain',
  color_cast: 'check the white balance and the IR-cut filter',
  stripe: 'check the cable and power supply for interference',
  decode_error: 'the camera sends no valid JPEG: check its snapshot settings or firmware',
  scene_change: 'the view differs from the learned reference: re-aim the camera to its filed view, or if the new view is approved run `cea clarity relearn <camera>` (a change of location is reportable)',
  frozen: 'the picture does not change: restart the camera and check its encoder',
};

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
  if (!isOnvifError(err)) return check(name, 'fail', `${url}: ${(err as Error).message}`, `check cameras[${i}].onvif.url`);
  switch (err.code) {
    case 'unreachable':
      return check(name, 'fail', `${camera.id} is unreachable at ${url}: ${err.message}`, `check power and network of ${camera.id} (ping its address) and cameras[${i}].onvif.url`);
    case 'timeout':
      return check(name, 'fail', `${camera.id} did not answer at ${url} in time: ${err.message}`, `check the network path to ${camera.id} (cabling, switch, VLAN) and that cameras[${i}].onvif.url is the right device`);
    case 'unauthorized':
      return camera.onvif.username === undefined
        ? check(name, 'fail', `${camera.id} requires credentials and none are configured`, `set cameras[${i}].onvif.username and cameras[${i}].onvif.password`)
        : check(name, 'fail', `wrong password for ${camera.id} (user ${camera.onvif.username} refused)`, `wrong password for ${camera.id}: update cameras[${i}].onvif.password (or .username)`);
    default:
      return check(name, 'fail', `${camera.id} answers at ${url} but not as ONVIF expects (${err.code}): ${err.message}`, `check that cameras[${i}].onvif.url is the device service (…/onvif/device_service) and that ONVIF is enabled on ${camera.id}`);
  }
}

function lastSegmentCheck(camera: CameraConfig, db: Database | null, nowMs: number): Check {
  const name = `camera ${camera.id}: recording`;
  if (!camera.record) return check(name, 'pass', 'not recorded (record: false in the config)');
  if (!db) return check(name, 'warn', 'no database: the last segment is unknown', 'start the agent so it records and indexes segments');
  let endMs: number | null = null;
  try {
    endMs = db.prepare<[string], { end: number | null }>("SELECT max(end_ms) AS end FROM segments WHERE camera_id = ? AND state = 'present'").get(camera.id)?.end ?? null;
  } catch (err) {
    return check(name, 'warn', `the segment index cannot be read: ${(err as Error).message}`, 'start the agent once so it creates the segment index');
  }
  if (endMs === null) return check(name, 'fail', 'no recorded segment yet', `check that the agent runs and look in its log for recorder errors of ${camera.id}`);
  const age = nowMs - endMs;
  const detail = `last segment ended ${ageText(Math.max(0, age))} ago (${new Date(endMs).toISOString()})`;
  if (age > 15 * 60_000) return check(name, 'fail', detail, `recording of ${camera.id} has stopped: check that the agent runs (\`systemctl status cea\`), its log for recorder errors, and the camera's stream`);
  if (age > 5 * 60_000) return check(name, 'warn', detail, `recording of ${camera.id} may be stalling: look at the agent log`);
  return check(name, 'pass', detail);
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
      check(
        p('prohibited'),
        'fail',
        `location.kind "${camera.location.kind}" is a place where cameras are forbidden: not contacted (no snapshot, no stream), never recorded`,
        `remove or re-aim ${camera.id}, then correct cameras[${i}].location.kind`,
      ),
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
    check(p('onvif'), 'pass', `reachable at ${redactUrl(camera.onvif.url)}, authenticated; ${identity.manufacturer} ${identity.model}, firmware ${identity.firmware}, serial ${identity.serial}`),
  );
  let ntp: boolean | null = null;
  try {
    ntp = (await client.getSystemDateAndTime()).ntp;
  } catch {
    // the offset from connect() is enough
  }
  facts.report.clockOffsetMs = client.timeOffsetMs;
  if (client.timeOffsetMs !== null) out.push(clockCheck(x, client.timeOffsetMs, ntp));
  else out.push(check(p('clock'), 'warn', `${camera.id} does not report its time`, `enable NTP on ${camera.id} so its recordings carry the right time`));
  if (x.signal.aborted) return out;

  let profile: MediaProfile | undefined;
  let streamUri: string | null = null;
  try {
    const profiles = await client.getProfiles();
    profile = profiles.find((pr) => pr.encoder !== null) ?? profiles[0];
    if (!profile) {
      out.push(check(p('stream'), 'fail', `${camera.id} has no media profile`, `configure a video stream (profile) on ${camera.id} in its web interface`));
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
      const enc = e ? ` (${e.encoding} ${e.width}x${e.height}${e.fps !== null ? ` @${e.fps} fps` : ''}${e.bitrate !== null ? `, ${e.bitrate} kbit/s` : ''})` : '';
      out.push(check(p('stream'), 'pass', `profile ${profile.name}: ${redactUrl(streamUri)}${enc}`));
    }
  } catch (err) {
    out.push(check(p('stream'), 'fail', `no stream URI: ${(err as Error).message}`, `check the media settings of ${camera.id} (Profile S streaming must be enabled)`));
  }
  if (x.signal.aborted) return out;

  if (profile) out.push(await snapshotCheck(x, client, profile));
  out.push(lastSegmentCheck(camera, x.db, x.nowMs));
  if (streamUri !== null && !x.signal.aborted) out.push(await rtspCheck(x, streamUri));
  return out;
}

function clockCheck(x: CameraCheckInput, offsetMs: number, ntp: boolean | null): Check {
  const id = x.camera.id;
  const limitS = x.config.monitor.clockSkewLimitSeconds;
  const s = Math.abs(offsetMs) / 1000;
  const dir = offsetMs >= 0 ? 'ahead of' : 'behind';
  const ntpText = ntp === null ? '' : ntp ? '; camera set to NTP' : '; camera set manually (no NTP)';
  const detail = `clock ${s.toFixed(1)} s ${dir} the box (limit ${limitS} s)${ntpText}`;
  if (s > limitS) {
    return check(
      `camera ${id}: clock`,
      'fail',
      detail,
      `set the clock of ${id}: enable NTP on the camera pointing at the site's time server (or the box); its recordings carry the wrong time until then`,
    );
  }
  return check(`camera ${id}: clock`, 'pass', detail);
}

async function snapshotCheck(x: CameraCheckInput, client: OnvifProbe, profile: MediaProfile): Promise<Check> {
  const id = x.camera.id;
  const name = `camera ${id}: snapshot`;
  let bytes: Buffer;
  try {
    const uri = profile.snapshotUri ?? (await client.getSnapshotUri(profile.token));
    if (uri === null) return check(name, 'warn', `${id} offers no snapshot URI: clarity cannot be checked`, `enable the JPEG snapshot service on ${id}, if its firmware has one`);
    bytes = (await client.fetchSnapshot(uri)).body;
  } catch (err) {
    return check(name, 'fail', `snapshot could not be fetched: ${(err as Error).message}`, `check the snapshot service of ${id} and that user ${x.camera.onvif.username ?? '(none)'} may use it`);
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
  const against =
    j.judgedAgainst === 'baseline'
      ? `judged against ${id}'s learned baseline (${j.mode})`
      : `judged against the default thresholds (no learned baseline${tracker ? ` for ${j.mode}` : ''} yet)`;
  const faults = j.faults;
  if (faults.length === 0) return check(name, 'pass', `${size} JPEG, ${bytes.length} bytes: clear (no clarity fault); ${against}`);
  const advice = faults.map((f) => FAULT_ADVICE[f]).filter((a): a is string => a !== undefined);
  return check(
    name,
    'fail',
    `${size} JPEG: clarity fault${faults.length > 1 ? 's' : ''} ${faults.join(', ')}; ${against}`,
    `${id}: ${advice.length > 0 ? advice.join('; ') : 'inspect the picture'}`,
  );
}

function roundMetrics(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.round(v * 1000) / 1000;
  return out;
}

async function rtspCheck(x: CameraCheckInput, uri: string): Promise<Check> {
  const id = x.camera.id;
  const name = `camera ${id}: rtsp`;
  if (!x.probes.rtsp) return check(name, 'warn', 'ffprobe is not installed: the stream was not probed', 'install ffmpeg (`apt install ffmpeg`) so diagnose can probe the streams');
  try {
    const r = await x.probes.rtsp(withCredentials(uri, x.camera), 3, x.signal);
    if (x.facts) x.facts.report.rtsp = { codec: r.codec, width: r.width, height: r.height, fps: r.fps, bitrate: Math.round(r.bitrate) };
    return check(name, 'pass', `${r.codec} ${r.width}x${r.height}${r.fps !== null ? ` @${r.fps.toFixed(1)} fps` : ''}, ${Math.round(r.bitrate / 1000)} kbit/s received over 3 s`);
  } catch (err) {
    return check(name, 'fail', `${redactUrl(uri)}: ${(err as Error).message}`, `check that RTSP is enabled on ${id} and port 554 is reachable from the box; the recorder cannot record without it`);
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
