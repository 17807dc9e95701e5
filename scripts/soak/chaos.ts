// The soak's chaos plan: which cameras go offline, blur or change their configuration,
// and when. Pure and seeded, so a run is repeated exactly with `--seed`.
import { seededRandom } from '../lib/seeded-random.js';

export type ChaosKind = 'offline' | 'online' | 'blur' | 'clear' | 'config';

export interface ConfigChange {
  fps?: number;
  bitrate?: number;
}

export interface ChaosAction {
  /** Milliseconds after the chaos phase began. */
  atMs: number;
  camera: string;
  kind: ChaosKind;
  /** For `config`: what changes (encoder settings only, so the picture and its clarity stay the same). */
  patch?: ConfigChange;
}

export interface ChaosPlan {
  actions: ChaosAction[];
  /** Cameras that go offline at least once (each must get camera.offline). */
  offline: string[];
  /** Cameras that blur at least once (each must get clarity.fault). */
  blurred: string[];
  /** Cameras whose configuration changes (each must appear in a config.changed report). */
  changed: string[];
}

export interface ChaosInput {
  seed: number;
  cameraIds: readonly string[];
  durationMs: number;
  /** The agent's monitor.intervalSeconds in ms: detection needs 3 probes / samples. */
  monitorIntervalMs: number;
  /** Configuration changes happen only in [0, changeWindowMs): a report needs a quiet minute after the last. */
  changeWindowMs: number;
  /** Shares of the cameras per kind of trouble; the sets are disjoint. */
  shares?: { offline: number; blur: number; config: number };
}

const DEFAULT_SHARES = { offline: 0.15, blur: 0.1, config: 0.1 };
const BITRATES = [2048, 3072, 6144, 8192];
const FRAME_RATES = [12, 15, 20, 30];

/**
 * Partitions the cameras (disjoint sets, so an offline camera's missing pictures are never
 * mistaken for a clarity result, and a changed camera is reachable when it changes) and
 * schedules episodes. An episode lasts long enough to be detected: 3 missed probes or 3
 * bad samples at the monitor interval, plus one interval of slack and a few seconds for
 * a busy machine. Every episode ends inside the chaos phase.
 */
export function planChaos(input: ChaosInput): ChaosPlan {
  const rand = seededRandom(input.seed);
  const shares = input.shares ?? DEFAULT_SHARES;
  const ids = shuffle([...input.cameraIds], rand);
  const take = (share: number) => ids.splice(0, Math.min(ids.length, Math.max(1, Math.round(input.cameraIds.length * share))));
  const offline = take(shares.offline);
  const blurred = take(shares.blur);
  const changed = take(shares.config);

  const holdMs = 4 * input.monitorIntervalMs + 4000;
  // Back to normal for long enough to be seen healthy again (3 good answers) before the next episode.
  const recoverMs = 4 * input.monitorIntervalMs + 2000;
  const actions: ChaosAction[] = [];
  const episodes = (camera: string, on: ChaosKind, off: ChaosKind): boolean => {
    const maxHold = 2 * holdMs;
    if (input.durationMs < holdMs) return false;
    let t = Math.floor(rand() * Math.min(input.durationMs - holdMs, input.durationMs / 2));
    let any = false;
    while (t + holdMs <= input.durationMs) {
      const hold = Math.min(holdMs + Math.floor(rand() * (maxHold - holdMs)), input.durationMs - t);
      actions.push({ atMs: t, camera, kind: on }, { atMs: t + hold, camera, kind: off });
      any = true;
      t += hold + recoverMs + Math.floor(rand() * 2 * recoverMs);
    }
    return any;
  };
  const wentOffline = offline.filter((c) => episodes(c, 'offline', 'online'));
  const wentBlurred = blurred.filter((c) => episodes(c, 'blur', 'clear'));

  const window = Math.max(1, Math.min(input.changeWindowMs, input.durationMs));
  for (const camera of changed) {
    // One or two changes, a few seconds apart: a technician's visit rarely touches one setting once.
    const first = Math.floor(rand() * window);
    actions.push({ atMs: first, camera, kind: 'config', patch: { bitrate: pick(BITRATES, rand) } });
    if (rand() < 0.5) actions.push({ atMs: Math.min(window - 1, first + 2000), camera, kind: 'config', patch: { fps: pick(FRAME_RATES, rand) } });
  }
  actions.sort((a, b) => a.atMs - b.atMs || a.camera.localeCompare(b.camera));
  return { actions, offline: wentOffline, blurred: wentBlurred, changed };
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function pick<T>(items: readonly T[], rand: () => number): T {
  return items[Math.floor(rand() * items.length)]!;
}
