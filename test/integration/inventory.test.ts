import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../agent/config/types.js';
import type { AgentEvent } from '../../agent/events/index.js';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { startTestBroker, subscribe, waitFor } from '../helpers/broker.js';
import { simulatedCameraEntry, testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

// The inventory as wired in the agent, against simulated cameras speaking real SOAP and
// WS-Discovery on 127.0.0.1, and a real broker receiving the events.

const SITE = 'site-inv';

function agentConfig(dir: string, brokerUrl: string, fleet: Fleet, configured: { id: string; password?: string }[]): AgentConfig {
  return testAgentConfig(dir, brokerUrl, SITE, {
    discovery: { enabled: true, intervalSeconds: 1, targets: fleet.discoveryPort ? [`127.0.0.1:${fleet.discoveryPort}`] : [], announcements: false },
    monitor: { intervalSeconds: 1 },
    cameras: configured.map(({ id, password }) => simulatedCameraEntry(fleet.camera(id)!, password ? { password } : {})),
  });
}

describe('camera inventory', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(specs: Parameters<typeof startFleet>[0], configured: { id: string; password?: string }[]) {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const fleet = await startFleet(specs, { discovery: { port: 0, maxDelayMs: 0 } });
    cleanups.push(() => fleet.stop());
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync());
    const agent: RunningAgent = await startAgent({
      config: agentConfig(tmp.dir, broker.url, fleet, configured),
      logger: silentLogger(),
      now: () => new Date(),
      agentVersion: '0.0.0-test',
      mqttBackoffMs: [100],
      onvifTimeoutMs: 1500,
    });
    cleanups.push(() => agent.stop('test done'));
    const events = () => sub.messages.map((m) => JSON.parse(m.payload) as AgentEvent);
    return { agent, fleet, events };
  }

  it('interrogates configured cameras exactly, reports strangers once, and flags a wrong password', async () => {
    const { agent, fleet, events } = await setup(
      [
        { id: 'gate', firmware: '5.50', serial: '00012345678901234567', manufacturer: 'Acme Vision', model: 'AV-2000' },
        { id: 'yard', password: 'the-real-one' },
        { id: 'stranger' },
      ],
      [{ id: 'gate' }, { id: 'yard', password: 'a-wrong-one' }],
    );
    await waitFor('a snapshot of gate', () => countRows(agent, "SELECT count(*) FROM inventory_snapshots WHERE camera_id = 'gate'") === 1, 15_000);
    const snap = agent.db.prepare("SELECT record FROM inventory_snapshots WHERE camera_id = 'gate'").pluck().get() as string;
    const record = JSON.parse(snap) as { identity: Record<string, string>; profiles: { encoder: { width: number } | null; streamUri: string | null }[] };
    expect(record.identity).toMatchObject({ firmware: '5.50', serial: '00012345678901234567', manufacturer: 'Acme Vision', model: 'AV-2000' });
    expect(record.profiles.length).toBeGreaterThan(0);
    expect(record.profiles[0]?.encoder?.width).toBeGreaterThan(0);
    expect(record.profiles[0]?.streamUri).toMatch(/^rtsp:\/\//);

    await waitFor('the stranger reported and yard flagged', () =>
      events().some((e) => e.type === 'camera.discovered') && events().some((e) => e.type === 'camera.auth_failed'), 15_000);
    // Several discovery rounds later, still one report per stranger.
    await new Promise((r) => setTimeout(r, 2500));
    const discovered = events().filter((e) => e.type === 'camera.discovered');
    expect(discovered).toHaveLength(1);
    expect(discovered[0]!.data).toMatchObject({ urn: fleet.camera('stranger')!.urn, configured: false });
    expect(events().filter((e) => e.type === 'camera.auth_failed').map((e) => e.camera)).toEqual(['yard']);
    // Discovery matched the configured ones to their URNs.
    expect(agent.db.prepare("SELECT urn FROM camera_state WHERE camera_id = 'gate'").pluck().get()).toBe(fleet.camera('gate')!.urn);
  });

  // Presence (camera.offline / camera.online) is the uptime ledger's: test/integration/uptime.test.ts.
  it('keeps a new snapshot only when the camera changed, and re-checks a camera that stops answering', async () => {
    const { agent, fleet, events } = await setup([{ id: 'gate' }], [{ id: 'gate' }]);
    await waitFor('first snapshot', () => countRows(agent, 'SELECT count(*) FROM inventory_snapshots') === 1, 15_000);
    await new Promise((r) => setTimeout(r, 2500)); // re-interrogated at least once: nothing changed
    expect(countRows(agent, 'SELECT count(*) FROM inventory_snapshots')).toBe(1);

    fleet.camera('gate')!.setConfig({ width: 640, height: 360 });
    await waitFor('a second snapshot after the resolution change', () => countRows(agent, 'SELECT count(*) FROM inventory_snapshots') === 2, 15_000);

    // Failing cameras are re-checked at the monitor pace (1 s here), not the discovery pace.
    const failures = () => countRows(agent, "SELECT consecutive_failures FROM camera_state WHERE camera_id = 'gate'");
    await fleet.camera('gate')!.setFailure('offline', true);
    await waitFor('repeated failed interrogations', () => failures() >= 2, 20_000);
    await fleet.camera('gate')!.setFailure('offline', false);
    await waitFor('an answer again', () => failures() === 0, 20_000);
    expect(events().filter((e) => e.camera === 'gate' && e.type.startsWith('camera.auth'))).toEqual([]);
  });

  it('flags a discovered camera whose ONVIF location names a prohibited place, once, for the operator to confirm', async () => {
    const { events, fleet } = await setup([{ id: 'gate' }, { id: 'stranger', location: '二楼卫生间' }], [{ id: 'gate' }]);
    await waitFor('the flag', () => events().some((e) => e.type === 'compliance.prohibited_location'), 15_000);
    await new Promise((r) => setTimeout(r, 2500)); // more discovery rounds: still one flag
    const flags = events().filter((e) => e.type === 'compliance.prohibited_location');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ severity: 'critical', data: { urn: fleet.camera('stranger')!.urn, matched: '卫生间', needsConfirmation: true, configured: false } });
    expect(flags[0]!.camera).toBeUndefined();
  });

  it('re-interrogates at once when the camera announces a configuration change (ONVIF PullPoint)', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const fleet = await startFleet([{ id: 'gate' }], { discovery: false });
    cleanups.push(() => fleet.stop());
    const cfg = agentConfig(tmp.dir, broker.url, fleet, [{ id: 'gate' }]);
    // Rounds an hour apart: only the camera's own event can explain a quick second snapshot.
    cfg.discovery = { ...cfg.discovery, enabled: false, intervalSeconds: 3600 };
    const agent = await startAgent({ config: cfg, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100], onvifTimeoutMs: 1500 });
    cleanups.push(() => agent.stop('test done'));
    await waitFor('first snapshot', () => countRows(agent, 'SELECT count(*) FROM inventory_snapshots') === 1, 15_000);
    await new Promise((r) => setTimeout(r, 1000)); // the event subscription is up
    fleet.camera('gate')!.setConfig({ bitrate: 1024 });
    await waitFor('a second snapshot, prompted by tns1:Media/ConfigurationChanged', () => countRows(agent, 'SELECT count(*) FROM inventory_snapshots') === 2, 15_000);
  });

  it('hears an unconfigured camera announce itself (Hello) and marks it gone on Bye', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync());
    const port = await freeUdpPort();
    // Rounds far apart: what is heard here comes from the announcement, not a probe.
    const config = testAgentConfig(tmp.dir, broker.url, SITE, {
      discovery: { enabled: true, intervalSeconds: 3600, interface: 'lo', port, announcements: true },
      cameras: [],
    });
    const agent = await startAgent({ config, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100] });
    cleanups.push(() => agent.stop('test done'));
    await new Promise((r) => setTimeout(r, 3500)); // the first probe round (3 s) is over

    const fleet = await startFleet([{ id: 'newcomer' }], { discovery: { port, multicast: true, maxDelayMs: 0 } });
    let fleetStopped = false;
    cleanups.push(() => (fleetStopped ? undefined : fleet.stop()));
    const urn = fleet.camera('newcomer')!.urn;
    const events = () => sub.messages.map((m) => JSON.parse(m.payload) as AgentEvent);
    await waitFor('camera.discovered from the Hello', () => events().some((e) => e.type === 'camera.discovered' && e.data.urn === urn), 10_000);
    expect(agent.db.prepare('SELECT gone_at FROM devices WHERE urn = ?').pluck().get(urn)).toBeNull();

    await fleet.stop();
    fleetStopped = true;
    await waitFor('the Bye to mark it gone', () => agent.db.prepare('SELECT gone_at FROM devices WHERE urn = ?').pluck().get(urn) !== null, 10_000);
  });
});

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function countRows(agent: RunningAgent, sql: string): number {
  return agent.db.prepare(sql).pluck().get() as number;
}
