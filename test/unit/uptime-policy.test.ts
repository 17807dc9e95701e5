import { describe, expect, it } from 'vitest';
import {
  availability,
  closeOnStop,
  closeRetired,
  decidePresence,
  decideSkew,
  initialPresence,
  moveTo,
  provesReachable,
  resumeAfterRestart,
  windowTotals,
  type Evidence,
  type Interval,
  type LedgerOp,
  type OpenInterval,
  type PresenceEvent,
  type PresenceState,
} from '../../agent/uptime/policy.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2025-03-01T00:00:00Z');

/** A ledger in memory that applies LedgerOps the way the store does. */
class Ledger {
  rows: (Interval & { id: number })[] = [];
  private nextId = 1;
  open(): OpenInterval | null {
    const o = [...this.rows].reverse().find((r) => r.endMs === null);
    return o ? { id: o.id, state: o.state, startMs: o.startMs } : null;
  }
  apply(ops: LedgerOp[]): void {
    for (const op of ops) {
      if (op.op === 'open') this.rows.push({ id: this.nextId++, state: op.state, startMs: op.startMs, endMs: null });
      else {
        const row = this.rows.find((r) => r.id === op.id)!;
        if (op.op === 'close') row.endMs = op.endMs;
        else row.state = op.state;
      }
    }
  }
}

describe('availability over windows', () => {
  it('counts online time over the whole window, clipping intervals that overlap its edges', () => {
    const now = T0 + 10 * D;
    const intervals: Interval[] = [
      { state: 'online', startMs: now - 2 * D, endMs: now - 12 * H }, // 12 h inside the last 24 h
      { state: 'offline', startMs: now - 12 * H, endMs: now - 6 * H },
      { state: 'online', startMs: now - 6 * H, endMs: null }, // open: runs until now
    ];
    const a = availability(intervals, now);
    expect(a.h24).toBeCloseTo(18 / 24, 12);
    expect(a.unknown.h24).toBe(0);
    // 7 d: 1.5 d online + 6 h online; the 5 d before the ledger began are unknown, not up.
    expect(a.d7).toBeCloseTo((36 + 6) / (7 * 24), 12);
    expect(a.unknown.d7).toBeCloseTo(5 / 7, 12);
    expect(a.d30).toBeCloseTo(42 / (30 * 24), 12);
    expect(a.unknown.d30).toBeCloseTo(28 / 30, 12);
  });

  it('gives online + offline + unknown = the window, and counts overlapping rows once', () => {
    const t = windowTotals(
      [
        { state: 'online', startMs: 0, endMs: 100 },
        { state: 'online', startMs: 50, endMs: 150 }, // overlaps the first: 100..150 is new
        { state: 'unknown', startMs: 150, endMs: 200 },
        { state: 'offline', startMs: 200, endMs: 260 },
      ],
      20,
      300,
    );
    expect(t).toEqual({ onlineMs: 130, offlineMs: 60, unknownMs: 90 });
  });

  it('runs an open interval only until openEndMs (a reader while the agent is down)', () => {
    const t = windowTotals([{ state: 'online', startMs: 0, endMs: null }], 0, 1000, 400);
    expect(t).toEqual({ onlineMs: 400, offlineMs: 0, unknownMs: 600 });
  });

  it('is zero everywhere for an empty ledger', () => {
    expect(availability([], T0)).toEqual({ h24: 0, d7: 0, d30: 0, unknown: { h24: 1, d7: 1, d30: 1 } });
  });
});

describe('the ledger across agent restarts', () => {
  it('turns the time between the last heartbeat and the next start into unknown, never up', () => {
    const l = new Ledger();
    l.apply(resumeAfterRestart(null, null, T0)); // first ever start
    l.apply(moveTo(l.open(), 'online', T0 + 1000, 'probe'));
    // The agent dies (kill -9) at T0 + 10 h; its last heartbeat was at T0 + 10 h - 5 s.
    const heartbeat = T0 + 10 * H - 5000;
    const restart = T0 + 14 * H;
    l.apply(resumeAfterRestart(l.open(), heartbeat, restart));
    expect(l.rows.map(({ state, startMs, endMs }) => ({ state, startMs, endMs }))).toEqual([
      { state: 'unknown', startMs: T0, endMs: T0 + 1000 }, // started, not yet heard from the camera
      { state: 'online', startMs: T0 + 1000, endMs: heartbeat },
      { state: 'unknown', startMs: heartbeat, endMs: null },
    ]);
    // The first probe after the restart answers: only from then on is it up again.
    l.apply(moveTo(l.open(), 'online', restart + 200, 'probe'));
    const now = T0 + 24 * H;
    const t = windowTotals(l.rows, now - 24 * H, now);
    expect(t.onlineMs).toBe(heartbeat - (T0 + 1000) + (now - (restart + 200)));
    expect(t.unknownMs).toBe(1000 + (restart + 200 - heartbeat));
    expect(t.offlineMs).toBe(0);
  });

  it('after a clean stop the unknown interval simply goes on at the next start', () => {
    const l = new Ledger();
    l.apply(moveTo(null, 'offline', T0, 'missed 3 probes'));
    l.apply(closeOnStop(l.open(), T0 + H));
    expect(resumeAfterRestart(l.open(), T0 + H, T0 + 2 * H)).toEqual([]);
    expect(l.rows).toEqual([
      { id: 1, state: 'offline', startMs: T0, endMs: T0 + H },
      { id: 2, state: 'unknown', startMs: T0 + H, endMs: null },
    ]);
  });

  it('closes the open interval of a camera no longer configured at the last heartbeat', () => {
    const open: OpenInterval = { id: 3, state: 'online', startMs: T0 };
    expect(closeRetired(open, T0 + H, T0 + 2 * H)).toEqual([{ op: 'close', id: 3, endMs: T0 + H }]);
    expect(closeRetired(open, null, T0 + 2 * H)).toEqual([{ op: 'close', id: 3, endMs: T0 }]);
  });

  it('never moves time backwards: a heartbeat after now, or evidence before the open interval, is clamped', () => {
    const open: OpenInterval = { id: 7, state: 'online', startMs: T0 };
    // Clock stepped back below the heartbeat: close at now, not in the future.
    expect(resumeAfterRestart(open, T0 + 5000, T0 + 1000)).toEqual([
      { op: 'close', id: 7, endMs: T0 + 1000 },
      { op: 'open', state: 'unknown', startMs: T0 + 1000, reason: 'agent_down' },
    ]);
    // Heartbeat older than the interval (it opened just before a crash): relabel, no zero-length row.
    expect(resumeAfterRestart(open, T0 - 10, T0 + 1000)).toEqual([{ op: 'relabel', id: 7, state: 'unknown', reason: 'agent_down' }]);
    expect(moveTo(open, 'offline', T0 - 99, 'x')).toEqual([{ op: 'relabel', id: 7, state: 'offline', reason: 'x' }]);
    expect(moveTo(open, 'online', T0 + 5, 'x')).toEqual([]);
  });
});

describe('presence transitions (GB/T 28181: offline after 3 missed probes, online at the first answer)', () => {
  const probe = (ok: boolean): Evidence => ({ ok, source: 'probe' });
  const external = (ok: boolean): Evidence => ({ ok, source: 'external' });

  function run(start: PresenceState, steps: [Evidence, number][]) {
    let s = start;
    const events: PresenceEvent[] = [];
    const enters: { state: string; fromMs: number }[] = [];
    for (const [e, at] of steps) {
      const d = decidePresence(s, e, at, 3);
      if (d.event) events.push(d.event);
      if (d.enter) enters.push(d.enter);
      s = d.next;
    }
    return { s, events, enters };
  }

  it('first contact opens an online interval without news; 3 misses make one offline from the first miss; one online on return', () => {
    const { s, events, enters } = run(initialPresence(null), [
      [probe(true), T0],
      [probe(false), T0 + 10_000],
      [probe(false), T0 + 20_000],
      [probe(false), T0 + 30_000],
      [probe(false), T0 + 40_000],
      [probe(false), T0 + 50_000],
      [probe(true), T0 + 60_000],
      [probe(true), T0 + 70_000],
    ]);
    expect(enters).toEqual([
      { state: 'online', fromMs: T0 },
      { state: 'offline', fromMs: T0 + 10_000 },
      { state: 'online', fromMs: T0 + 60_000 },
    ]);
    expect(events).toEqual([
      { type: 'camera.offline', sinceMs: T0 + 10_000, missedProbes: 3 },
      { type: 'camera.online', offlineSinceMs: T0 + 10_000, downtimeMs: 50_000 },
    ]);
    expect(s.known).toEqual({ state: 'online', sinceMs: T0 + 60_000 });
  });

  it('two misses then an answer is no outage', () => {
    const { events, enters } = run(initialPresence({ state: 'online', sinceMs: T0 - H }), [
      [probe(true), T0],
      [probe(false), T0 + 10_000],
      [probe(false), T0 + 20_000],
      [probe(true), T0 + 30_000],
      [probe(false), T0 + 40_000],
      [probe(false), T0 + 50_000],
    ]);
    expect(events).toEqual([]);
    expect(enters).toEqual([{ state: 'online', fromMs: T0 }]);
  });

  it('any success brings it online; external failures are not missed probes', () => {
    const { s, events } = run(initialPresence({ state: 'online', sinceMs: T0 - H }), [
      [probe(false), T0 + 1],
      [external(false), T0 + 2],
      [external(false), T0 + 3],
      [probe(false), T0 + 4],
    ]);
    expect(events).toEqual([]);
    expect(s.consecutiveFailures).toBe(2);
    const down = run(s, [[probe(false), T0 + 5]]);
    expect(down.events).toEqual([{ type: 'camera.offline', sinceMs: T0 + 1, missedProbes: 3 }]);
    const up = run(down.s, [[external(true), T0 + 6]]);
    expect(up.events).toEqual([{ type: 'camera.online', offlineSinceMs: T0 + 1, downtimeMs: 5 }]);
  });

  it('across a restart: still offline is no second camera.offline, and the return reports the whole outage', () => {
    // The ledger said offline since T0 before the agent stopped.
    const { events, enters } = run(initialPresence({ state: 'offline', sinceMs: T0 }), [
      [probe(false), T0 + H],
      [probe(false), T0 + H + 10_000],
      [probe(false), T0 + H + 20_000],
      [probe(true), T0 + 2 * H],
    ]);
    expect(enters).toEqual([
      { state: 'offline', fromMs: T0 + H },
      { state: 'online', fromMs: T0 + 2 * H },
    ]);
    expect(events).toEqual([{ type: 'camera.online', offlineSinceMs: T0, downtimeMs: 2 * H }]);
  });

  it('across a restart: online before, unreachable now, is one camera.offline', () => {
    const { events } = run(initialPresence({ state: 'online', sinceMs: T0 }), [
      [probe(false), T0 + H],
      [probe(false), T0 + H + 1],
      [probe(false), T0 + H + 2],
      [probe(false), T0 + H + 3],
    ]);
    expect(events).toEqual([{ type: 'camera.offline', sinceMs: T0 + H, missedProbes: 3 }]);
  });

  it('ignores evidence older than what it already took into account', () => {
    const { s, events, enters } = run(initialPresence(null), [
      [probe(false), T0 + 10],
      [probe(false), T0 + 20],
      [probe(false), T0 + 30],
      [external(true), T0 + 25], // a snapshot taken before the third miss, reported late
    ]);
    expect(s.online).toBe(false);
    expect(enters).toEqual([{ state: 'offline', fromMs: T0 + 10 }]);
    expect(events).toEqual([{ type: 'camera.offline', sinceMs: T0 + 10, missedProbes: 3 }]);
  });

  it('a refused password or a SOAP fault proves the camera answered', () => {
    expect(provesReachable('unauthorized')).toBe(true);
    expect(provesReachable('fault')).toBe(true);
    expect(provesReachable('timeout')).toBe(false);
    expect(provesReachable('unreachable')).toBe(false);
    expect(provesReachable(null)).toBe(false);
  });
});

describe('clock skew alarm with hysteresis', () => {
  it('raises once above the limit, holds in the band, clears once below 80 % of it', () => {
    const limit = 5000;
    let alarm = false;
    const events: string[] = [];
    for (const skew of [100, 4900, 5100, 6000, -7000, 4500, 4100, 3900, 3000, 4500, 5001, -5200]) {
      const d = decideSkew(alarm, skew, limit);
      if (d.event) events.push(`${d.event}@${skew}`);
      alarm = d.alarm;
    }
    expect(events).toEqual(['raise@5100', 'clear@3900', 'raise@5001']);
    expect(alarm).toBe(true);
  });
});
