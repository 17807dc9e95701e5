import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe, waitFor } from '../helpers/broker.js';
import { spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// `npm start` on a fresh machine: no config, so the built-in demo with its embedded
// broker and simulated cameras.
describe('built-in demo (cea run without a config)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('is online within 10 s, is read-only for anonymous clients, and stops cleanly on Ctrl-C', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const t0 = Date.now();
    const agent = spawnCea(['run'], { cwd: tmp.dir });
    cleanups.push(() => agent.kill());

    const line = await agent.waitForLine(/embedded MQTT broker listening/, 20_000);
    const url = (JSON.parse(line) as { url: string }).url;
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);

    const sub = await subscribe(url, 'psv/v1/demo-site/#');
    cleanups.push(() => sub.client.endAsync());
    const stateOf = (m: { payload: string }) => (JSON.parse(m.payload) as { state: string }).state;
    await waitFor('retained online state', () => sub.messages.some((m) => m.topic === 'psv/v1/demo-site/state' && stateOf(m) === 'online'), 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000 + 10_000); // contract: 10 s; slack for a loaded CI machine
    await agent.waitForLine(/npx mqtt sub -h 127\.0\.0\.1.*psv\/v1\/demo-site\/#/);

    // Anonymous clients may watch but not publish: a forged retained state must not land.
    const intruder = await mqtt.connectAsync(url, { reconnectPeriod: 0, clientId: 'intruder' });
    intruder.on('error', () => {});
    await intruder.publishAsync('psv/v1/demo-site/state', JSON.stringify({ state: 'stopped' }), { qos: 0, retain: true }).catch(() => {});
    await intruder.endAsync(true);
    const check = await subscribe(url, 'psv/v1/demo-site/state');
    cleanups.push(() => check.client.endAsync());
    await waitFor('retained state', () => check.messages.length > 0, 5000);
    expect(stateOf(check.messages[0]!)).toBe('online');

    agent.child.kill('SIGINT');
    setTimeout(() => agent.child.kill('SIGINT'), 30);
    setTimeout(() => agent.child.kill('SIGTERM'), 60);
    const exit = await agent.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sub.messages.some((m) => m.topic === 'psv/v1/demo-site/state' && stateOf(m) === 'stopped')).toBe(true);
  });
});
