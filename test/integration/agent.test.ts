import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfigObject } from '../../agent/config/index.js';
import type { AgentConfig } from '../../agent/config/types.js';
import type { AgentEvent } from '../../agent/events/index.js';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startTestBroker, subscribe, waitFor } from '../helpers/broker.js';
import { makeTempDir } from '../helpers/tmp.js';

// The wired agent in-process against a real broker: what the platform receives at start.

function config(dir: string, brokerUrl: string, cameras: unknown[] = []): AgentConfig {
  const loaded = resolveConfigObject(
    {
      site: { id: 'site-0042', name: 'Agent test', timezone: 'Asia/Shanghai' },
      profile: 'liaoning-2008',
      mqtt: { url: brokerUrl, keepaliveSeconds: 5, protocolVersion: 4 },
      security: { requireSignedCommands: false, platformKeys: [] },
      database: join(dir, 'agent.db'),
      storage: { root: join(dir, 'recordings') },
      live: { listen: '127.0.0.1:0' }, // parallel tests: no fixed port
      console: { listen: '127.0.0.1:0' },
      cameras,
    },
    '<test>',
    { env: {}, cwd: dir },
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

describe('agent wiring', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function run(cfg: AgentConfig): Promise<RunningAgent> {
    const agent = await startAgent({ config: cfg, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100] });
    cleanups.push(() => agent.stop('test done'));
    return agent;
  }

  it('announces its start, raises the prohibited-place alarm, and reports a database it had to replace', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const sub = await subscribe(broker.url, 'psv/v1/site-0042/event');
    cleanups.push(() => sub.client.endAsync());
    writeFileSync(join(tmp.dir, 'agent.db'), 'this is not a database, it is a text file that got in the way'.repeat(100));

    const cfg = config(tmp.dir, broker.url, [
      { id: 'lobby', name: 'Lobby', onvif: { url: 'http://127.0.0.1:9/onvif/device_service' }, location: { kind: 'street', description: 'Lobby' }, record: false },
      { id: 'room-12', name: 'Room 12', onvif: { url: 'http://127.0.0.1:9/onvif/device_service' }, location: { kind: 'hotel_room', description: 'Guest room' }, record: true },
    ]);
    const heard: AgentEvent[] = [];
    const agent = await run(cfg);
    agent.bus.on('event', (e) => heard.push(e));

    await waitFor('three events', () => sub.messages.length >= 3);
    await new Promise((r) => setTimeout(r, 500)); // room-12 asks to record: nothing may come of it
    const events = sub.messages.map((m) => JSON.parse(m.payload) as AgentEvent);
    expect(events.map((e) => e.type)).toEqual(['store.replaced', 'agent.started', 'compliance.prohibited_location']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]).toMatchObject({ severity: 'critical', data: { movedTo: expect.stringContaining('agent.db.corrupt-') } });
    expect(events[1]).toMatchObject({ severity: 'info', data: { agentVersion: '0.0.0-test', bootId: agent.bootId, profile: 'liaoning-2008', cameras: 2 } });
    expect(events[2]).toMatchObject({ severity: 'critical', camera: 'room-12', data: { locationKind: 'hotel_room' } });
    for (const e of events) expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    // The unreadable file is kept as evidence.
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('agent.db.corrupt-'))).toHaveLength(1);
    await waitFor('the outbox to empty after PUBACKs', () => (agent.db.prepare('SELECT count(*) FROM outbox').pluck().get() as number) === 0);
    expect(heard).toEqual([]); // subscribed after start: the bus does not replay
  });

  it('continues seq after a restart and sends what it could not deliver before', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const cfg = config(tmp.dir, broker.url);

    broker.refuse('cea-'); // the platform's broker refuses us during the first run
    const first = await startAgent({ config: cfg, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100] });
    await first.stop('restart');
    broker.refuse(null);

    const sub = await subscribe(broker.url, 'psv/v1/site-0042/event');
    cleanups.push(() => sub.client.endAsync());
    await run(cfg);
    await waitFor('both agent.started events', () => sub.messages.length >= 2);
    const events = sub.messages.map((m) => JSON.parse(m.payload) as AgentEvent);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'agent.started'],
      [2, 'agent.started'],
    ]);
    expect(events[0]!.data.bootId).not.toBe(events[1]!.data.bootId);
  });
});
