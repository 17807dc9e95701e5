import { afterEach, describe, expect, it } from 'vitest';
import { startAgent } from '../../agent/main.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startFleet } from '../fakes/onvif-camera/index.js';
import { startTestBroker, subscribe, waitFor, type TestBroker } from '../helpers/broker.js';
import { simulatedCameraEntry, testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

// The retained per-camera status topic: what the platform reads first about a camera.
describe('camera status topic', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('is retained, says the camera is online, and comes back after the broker loses it', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    let broker: TestBroker = await startTestBroker();
    const port = broker.port;
    const fleet = await startFleet([{ id: 'gate' }], { discovery: false });
    cleanups.push(() => fleet.stop());
    const cam = fleet.camera('gate')!;
    const config = testAgentConfig(tmp.dir, broker.url, 'site-st', {
      discovery: { enabled: false },
      monitor: { intervalSeconds: 1 },
      cameras: [simulatedCameraEntry(cam)],
    });
    const agent = await startAgent({ config, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100], onvifTimeoutMs: 1500 });
    cleanups.push(() => agent.stop('test done'));

    const topic = 'psv/v1/site-st/camera/gate/status';
    const readRetained = async () => {
      const sub = await subscribe(broker.url, topic);
      try {
        await waitFor('a retained status saying online', () => sub.messages.some((m) => m.retain && (JSON.parse(m.payload) as { online: unknown }).online === true), 10_000);
        return JSON.parse(sub.messages.filter((m) => m.retain).at(-1)!.payload) as Record<string, unknown>;
      } finally {
        await sub.client.endAsync();
      }
    };
    const status = await readRetained();
    expect(status).toMatchObject({ online: true, clockSkewMs: expect.any(Number), uptime: { h24: expect.any(Number) }, recording: { state: 'disabled' } });
    expect(Object.keys(status)).toEqual(expect.arrayContaining(['ts', 'online', 'clarity', 'uptime', 'recording', 'clockSkewMs']));

    // The broker restarts empty: the agent sets the retained status again on reconnect.
    await broker.close();
    broker = await startTestBroker(port);
    cleanups.push(() => broker.close());
    await waitFor('the agent back on the new broker', () => broker.published.some((p) => p.topic === topic), 10_000);
    expect((await readRetained()).online).toBe(true);
  });
});
