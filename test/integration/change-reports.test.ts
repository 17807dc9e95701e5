import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../agent/config/types.js';
import type { AgentEvent } from '../../agent/events/index.js';
import { startAgent, type AgentDeps, type RunningAgent } from '../../agent/main.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { startTestBroker, subscribe, waitFor } from '../helpers/broker.js';
import { simulatedCameraEntry, testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

// Liaoning Art. 12 end to end: a camera changes at run time, the platform receives one
// report with the field-level diff and a working-day deadline, restarts lose nothing
// and duplicate nothing.

const SITE = 'site-chg';
// Thursday 5 March 2026, 10:00 in Shanghai: no holiday near, so 3 working days after
// it are Fri 6, Mon 9, Tue 10 March.
const BASE = Date.parse('2026-03-05T02:00:00Z');
const EXPECTED_DEADLINE = '2026-03-10';

function config(dir: string, brokerUrl: string, fleet: Fleet): AgentConfig {
  return testAgentConfig(dir, brokerUrl, SITE, {
    discovery: { enabled: false, intervalSeconds: 1 },
    monitor: { intervalSeconds: 1 },
    cameras: [simulatedCameraEntry(fleet.camera('gate')!)],
  });
}

describe('change reports', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a resolution change at run time reaches the platform as exactly one report, across restarts', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const fleet = await startFleet([{ id: 'gate', width: 1920, height: 1080 }], { discovery: false });
    cleanups.push(() => fleet.stop());
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync());
    const events = () => sub.messages.map((m) => JSON.parse(m.payload) as AgentEvent);
    const reports = () => events().filter((e) => e.type === 'config.changed');

    const t0 = Date.now();
    const deps: AgentDeps = {
      config: config(tmp.dir, broker.url, fleet),
      logger: silentLogger(),
      now: () => new Date(BASE + (Date.now() - t0)),
      agentVersion: '0.0.0-test',
      mqttBackoffMs: [100],
      onvifTimeoutMs: 1500,
      changeDebounce: { quietMs: 1500, maxMs: 10_000 },
      changeCheckEveryMs: 200,
    };
    const count = (agent: RunningAgent, sql: string) => agent.db.prepare(sql).pluck().get() as number;

    let agent = await startAgent(deps);
    await waitFor('the first snapshot (a baseline, not a change)', () => count(agent, 'SELECT count(*) FROM inventory_snapshots') === 1, 15_000);
    // Healthy cameras are re-interrogated every discovery.intervalSeconds (1 s here).
    fleet.camera('gate')!.setConfig({ width: 1280, height: 720 });
    await waitFor('the change to be detected', () => count(agent, 'SELECT count(*) FROM pending_changes') > 0, 15_000);
    // Stopped inside the debounce window: the change is on disk, not yet a report.
    expect(count(agent, 'SELECT count(*) FROM change_reports')).toBe(0);
    await agent.stop('restart mid-way');

    agent = await startAgent(deps);
    cleanups.push(() => agent.stop('test done'));
    await waitFor('one config.changed at the platform', () => reports().length >= 1, 15_000);
    await waitFor('the report marked reported after PUBACK', () => count(agent, "SELECT count(*) FROM change_reports WHERE state = 'reported'") === 1);
    await agent.stop('second restart');

    agent = await startAgent(deps);
    await new Promise((r) => setTimeout(r, 2500));
    await agent.stop('done');

    const all = reports();
    expect(new Set(all.map((e) => e.id)).size).toBe(1); // duplicates of one event are allowed by at-least-once, new reports are not
    const report = all[0]!.data.report as { changes: { scope: string; path: string; before: unknown; after: unknown }[]; deadline: string; calendarKnown: boolean; cameras: string[]; workingDays: number };
    expect(report.cameras).toEqual(['gate']);
    expect(report.workingDays).toBe(3);
    expect(report.deadline).toBe(EXPECTED_DEADLINE);
    expect(report.calendarKnown).toBe(true);
    expect(report.changes).toEqual(
      expect.arrayContaining([{ scope: 'camera:gate', path: expect.stringMatching(/^profiles\[\d+\]\.resolution$/), before: '1920x1080', after: '1280x720' }]),
    );
    expect(report.changes.every((c) => c.scope === 'camera:gate' && /resolution|bitrate|fps|gop/.test(c.path))).toBe(true);
  });
});
