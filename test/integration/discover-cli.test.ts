import { afterEach, describe, expect, it } from 'vitest';
import { discoverCommand } from '../../scripts/commands/discover.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { spawnCea } from '../helpers/cli.js';

// `cea discover` as DESIGN.md fixes its --json shape.
describe('cea discover', () => {
  let fleet: Fleet | null = null;
  afterEach(async () => {
    await fleet?.stop();
    fleet = null;
  });

  it('finds the cameras, interrogates them with the given credentials and prints one JSON document', async () => {
    fleet = await startFleet(
      [
        { id: 'gate', username: 'admin', password: 'pw-1', firmware: '5.50', serial: '00012345678901234567' },
        { id: 'yard', username: 'admin', password: 'other' },
      ],
      { discovery: { port: 0, maxDelayMs: 0 } },
    );
    const cap = captureIo(process.cwd());
    const code = await discoverCommand.run(
      ['--target', `127.0.0.1:${fleet.discoveryPort}`, '--timeout', '1', '--username', 'admin', '--password', 'pw-1', '--json'],
      cap.io,
    );
    expect(code).toBe(0);
    const doc = JSON.parse(cap.stdout()) as { devices: Record<string, unknown>[] };
    const byUrn = new Map(doc.devices.map((d) => [d.urn, d]));
    const gate = byUrn.get(fleet.camera('gate')!.urn)!;
    expect(Object.keys(gate)).toEqual(
      expect.arrayContaining(['urn', 'xaddrs', 'manufacturer', 'model', 'firmware', 'serial', 'hardwareId', 'auth', 'profiles', 'snapshotUri']),
    );
    expect(gate).toMatchObject({ auth: 'ok', firmware: '5.50', serial: '00012345678901234567', xaddrs: [fleet.camera('gate')!.deviceServiceUrl] });
    const profiles = gate.profiles as Record<string, unknown>[];
    expect(profiles.length).toBeGreaterThan(0);
    expect(Object.keys(profiles[0]!).sort()).toEqual(['bitrate', 'encoding', 'fps', 'height', 'name', 'rtspUri', 'token', 'width']);
    expect(gate.snapshotUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(byUrn.get(fleet.camera('yard')!.urn)).toMatchObject({ auth: 'unauthorized', firmware: null });
  });

  it('without credentials lists devices as not_tried; with nothing answering exits 1', async () => {
    fleet = await startFleet([{ id: 'gate' }], { discovery: { port: 0, maxDelayMs: 0 } });
    const cap = captureIo(process.cwd());
    expect(await discoverCommand.run(['--target', `127.0.0.1:${fleet.discoveryPort}`, '--timeout', '1', '--json'], cap.io)).toBe(0);
    expect((JSON.parse(cap.stdout()) as { devices: { auth: string }[] }).devices.map((d) => d.auth)).toEqual(['not_tried']);

    const port = fleet.discoveryPort!;
    await fleet.stop();
    fleet = null;
    const none = spawnCea(['discover', '--target', `127.0.0.1:${port}`, '--port', String(port), '--timeout', '1', '--json']);
    const exit = await none.exited;
    expect(exit.code).toBe(1);
    expect(JSON.parse(none.stdout())).toMatchObject({ devices: [] });
  });

  it('rejects bad usage with exit 2', async () => {
    const cap = captureIo(process.cwd());
    await expect(discoverCommand.run(['--username', 'admin'], cap.io)).rejects.toThrow(/go together/);
    const child = spawnCea(['discover', '--timeout', 'soon']);
    expect((await child.exited).code).toBe(2);
  });
});
