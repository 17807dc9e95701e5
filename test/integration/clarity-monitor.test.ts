import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../agent/events/index.js';
import { startAgent } from '../../agent/main.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startFleet } from '../fakes/onvif-camera/index.js';
import { startTestBroker, subscribe, waitFor } from '../helpers/broker.js';
import { simulatedCameraEntry, testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

// Liaoning Art. 14 (ii) end to end: a simulated camera's picture degrades and recovers,
// the platform hears one fault and one clearance, and a frozen picture is told apart.
describe('clarity monitoring', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('raises blur once, clears it once, and detects a frozen picture', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const fleet = await startFleet([{ id: 'gate', width: 960, height: 540 }], { discovery: false });
    cleanups.push(() => fleet.stop());
    const cam = fleet.camera('gate')!;
    const sub = await subscribe(broker.url, 'psv/v1/site-clr/event');
    cleanups.push(() => sub.client.endAsync());
    const config = testAgentConfig(tmp.dir, broker.url, 'site-clr', {
      discovery: { enabled: false },
      monitor: { intervalSeconds: 1 },
      cameras: [simulatedCameraEntry(cam)],
    });
    const agent = await startAgent({
      config,
      logger: silentLogger(),
      now: () => new Date(),
      agentVersion: '0.0.0-test',
      mqttBackoffMs: [100],
      onvifTimeoutMs: 2000,
      clarityPolicy: { baselineSamples: 2, frozenSamples: 4 },
    });
    cleanups.push(() => agent.stop('test done'));
    const events = () => sub.messages.map((m) => JSON.parse(m.payload) as AgentEvent);
    const of = (type: string) => events().filter((e) => e.type === type);
    const samples = () => agent.db.prepare("SELECT coalesce(sum(n), 0) FROM clarity_samples WHERE camera_id = 'gate'").pluck().get() as number;

    await waitFor('the baseline to be learned', () => samples() >= 3, 20_000);
    expect(of('clarity.fault')).toEqual([]); // a clear picture raises nothing

    cam.setCondition('blur');
    await waitFor('clarity.fault blur', () => of('clarity.fault').some((e) => (e.data.faults as string[]).includes('blur')), 20_000);
    cam.setCondition('ok');
    await waitFor('clarity.cleared blur', () => of('clarity.cleared').some((e) => (e.data.faults as string[]).includes('blur')), 20_000);
    expect(of('clarity.fault').filter((e) => (e.data.faults as string[]).includes('blur'))).toHaveLength(1);
    expect(of('clarity.cleared').filter((e) => (e.data.faults as string[]).includes('blur'))).toHaveLength(1);

    cam.setCondition('frozen');
    await waitFor('clarity.fault frozen', () => of('clarity.fault').some((e) => (e.data.faults as string[]).includes('frozen')), 20_000);
    const state = agent.db.prepare("SELECT verdict, faults FROM clarity_state WHERE camera_id = 'gate'").get() as { verdict: string; faults: string };
    expect(state.verdict).toBe('fault');
    expect(JSON.parse(state.faults)).toContain('frozen');
  });
});
