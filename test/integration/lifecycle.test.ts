import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe, waitFor } from '../helpers/broker.js';
import { spawnCea, type CeaProcess } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { makeTempDir } from '../helpers/tmp.js';

// The agent as a user runs it: the built CLI in a child process, against the reference
// broker (mosquitto) for retained messages and the last will.

function writeConfig(dir: string, brokerUrl: string, siteId: string): string {
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    [
      `site: { id: ${siteId}, name: Lifecycle test site, timezone: Asia/Shanghai }`,
      'profile: liaoning-2008',
      `mqtt: { url: "${brokerUrl}", keepaliveSeconds: 2 }`,
      `database: ${join(dir, 'agent.db')}`,
      `storage: { root: ${join(dir, 'recordings')} }`,
      'live: { listen: "127.0.0.1:0" }',
      'console: { listen: "127.0.0.1:0" }',
      'cameras: []',
      '',
    ].join('\n'),
  );
  return file;
}

interface StatePayload {
  state: string;
  ts: string;
  agentVersion: string;
  bootId: string;
}

async function retainedState(url: string, siteId: string): Promise<StatePayload> {
  const sub = await subscribe(url, `psv/v1/${siteId}/state`);
  try {
    await waitFor('the retained state', () => sub.messages.some((m) => m.retain), 5000);
    return JSON.parse(sub.messages.find((m) => m.retain)!.payload) as StatePayload;
  } finally {
    await sub.client.endAsync();
  }
}

describe('agent lifecycle (child process, mosquitto)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function startAgent(siteId: string): Promise<{ agent: CeaProcess; broker: Mosquitto }> {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const config = writeConfig(tmp.dir, broker.url, siteId);
    const agent = spawnCea(['run', '--config', config], { cwd: tmp.dir });
    cleanups.push(() => agent.kill());
    const sub = await subscribe(broker.url, `psv/v1/${siteId}/state`);
    cleanups.push(() => sub.client.endAsync());
    await waitFor('state online', () => sub.messages.some((m) => (JSON.parse(m.payload) as StatePayload).state === 'online'), 15_000);
    return { agent, broker };
  }

  it('publishes retained online, then on SIGTERM retained stopped, and exits 0 within 5 s', async () => {
    const { agent, broker } = await startAgent('site-life');
    const online = await retainedState(broker.url, 'site-life');
    expect(online).toMatchObject({ state: 'online', agentVersion: expect.any(String), bootId: expect.any(String) });

    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    // npm forwards Ctrl-C to the whole group: a second signal during shutdown must not kill it.
    setTimeout(() => agent.child.kill('SIGTERM'), 50);
    const exit = await agent.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5000 + 2000); // generous: the contract is 5 s, the machine is shared

    const stopped = await retainedState(broker.url, 'site-life');
    expect(stopped.state).toBe('stopped');
    expect(stopped.bootId).toBe(online.bootId);
  });

  it('leaves retained offline (the last will) when killed with SIGKILL', async () => {
    const { agent, broker } = await startAgent('site-crash');
    const online = await retainedState(broker.url, 'site-crash');
    agent.child.kill('SIGKILL');
    await agent.exited;
    // mosquitto sends the will when the TCP connection drops.
    let state = online;
    const deadline = Date.now() + 10_000;
    while (state.state !== 'offline' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      state = await retainedState(broker.url, 'site-crash');
    }
    expect(state).toMatchObject({ state: 'offline', bootId: online.bootId });
  });

  it('refuses an invalid config with file:line:col and exit 2, starting nothing', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'site: { id: s1 }\nprofile: liaoning-2008\nmqtt: { url: "mqtt://127.0.0.1:1" }\nretention: { floorDays: 7 }\n');
    const agent = spawnCea(['run', '--config', file], { cwd: tmp.dir });
    cleanups.push(() => agent.kill());
    const exit = await agent.exited;
    expect(exit.code).toBe(2);
    expect(agent.stderr()).toMatch(/bad\.yaml:4:\d+ retention\.floorDays/);
  });
});
