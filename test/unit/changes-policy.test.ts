import { describe, expect, it } from 'vitest';
import { cameraFingerprint, siteFingerprint, type SiteFacts } from '../../agent/changes/fingerprint.js';
import { burstIsComplete, camerasAffected, classify, diffFingerprints, reportDue, type ScopedChange } from '../../agent/changes/policy.js';
import type { CameraConfig } from '../../agent/config/types.js';
import type { InventoryRecord } from '../../agent/inventory/policy.js';

const camera = (over: Partial<CameraConfig> = {}): CameraConfig => ({
  id: 'gate',
  name: 'North gate',
  onvif: { url: 'http://admin:secret@192.0.2.10/onvif/device_service', username: 'admin', password: 'secret' },
  location: { kind: 'street', description: 'North gate, facing road' },
  purpose: 'traffic',
  record: true,
  prohibited: false,
  ...over,
});

const record = (): InventoryRecord => ({
  identity: { manufacturer: 'Acme', model: 'X1', firmware: '5.50', serial: '00012345678901234567', hardwareId: 'hw' },
  hostname: 'gate',
  network: [{ name: 'eth0', mac: '00:11:22:33:44:55', ipv4: ['192.0.2.10'], dhcp: false, enabled: true }],
  scopes: ['onvif://www.onvif.org/name/Gate'],
  profiles: [
    {
      token: 'main',
      name: 'main',
      videoSourceToken: 'vs',
      encoder: { encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrate: 4096, gop: 50, quality: 4, profile: 'Main' },
      streamUri: 'rtsp://192.0.2.10/main?session=81723',
      snapshotUri: 'http://192.0.2.10/snap.jpg',
    },
  ],
  imaging: { vs: { Brightness: 50 } },
});

const diff = (a: InventoryRecord, b: InventoryRecord, ca = camera(), cb = camera()) =>
  diffFingerprints(cameraFingerprint(ca, a), cameraFingerprint(cb, b));

describe('camera fingerprint diff', () => {
  it('a reboot is not a change: session ids in URIs, order of lists, passwords do not count', () => {
    const after = record();
    after.profiles[0]!.streamUri = 'rtsp://192.0.2.10/main?session=99999';
    after.scopes = [...after.scopes].reverse();
    expect(diff(record(), after, camera(), camera({ onvif: { url: 'http://admin:other@192.0.2.10/onvif/device_service' } }))).toEqual([]);
  });

  it('a firmware upgrade is exactly one field, with the exact strings', () => {
    const after = record();
    after.identity.firmware = '5.60';
    expect(diff(record(), after)).toEqual([{ path: 'identity.firmware', before: '5.50', after: '5.60' }]);
  });

  it('a resolution change is exactly the resolution', () => {
    const after = record();
    after.profiles[0]!.encoder!.width = 1280;
    after.profiles[0]!.encoder!.height = 720;
    expect(diff(record(), after)).toEqual([{ path: 'profiles[0].resolution', before: '1920x1080', after: '1280x720' }]);
  });

  it('a camera swapped at the same IP shows the new identity and MAC, and is classified as replaced', () => {
    const after = record();
    after.identity.serial = '00099999999999999999';
    after.network[0]!.mac = '00:aa:bb:cc:dd:ee';
    const changes = diff(record(), after);
    expect(changes).toEqual([
      { path: 'identity.serial', before: '00012345678901234567', after: '00099999999999999999' },
      { path: 'network.interfaces[0].mac', before: '00:11:22:33:44:55', after: '00:aa:bb:cc:dd:ee' },
    ]);
    expect(classify(changes.map((c) => ({ ...c, scope: 'camera:gate' })))).toEqual([{ kind: 'camera.replaced', camera: 'gate' }]);
  });

  it('a location change is a change of place (Art. 14 (v))', () => {
    const changes = diff(record(), record(), camera(), camera({ location: { kind: 'street', description: 'South gate' } }));
    expect(changes).toEqual([{ path: 'configured.locationDescription', before: 'North gate, facing road', after: 'South gate' }]);
    expect(classify(changes.map((c) => ({ ...c, scope: 'camera:gate' })))).toEqual([{ kind: 'camera.relocated', camera: 'gate' }]);
  });
});

describe('site fingerprint diff', () => {
  const facts = (over: Partial<SiteFacts> = {}): SiteFacts => ({
    siteId: 's1',
    siteName: 'Plaza',
    timezone: 'Asia/Shanghai',
    profile: 'liaoning-2008',
    retention: { floorDays: 15, ceilingDays: 30 },
    storage: { maxBytes: null, filesystemGiB: 3726 },
    agentVersion: '0.1.0',
    cameras: { gate: '0001', yard: '0002' },
    ...over,
  });

  it('reports added, removed and swapped cameras, and other site facts', () => {
    const changes: ScopedChange[] = diffFingerprints(
      siteFingerprint(facts()),
      siteFingerprint(facts({ cameras: { gate: '0009', lobby: null }, retention: { floorDays: 30, ceilingDays: 30 } })),
    ).map((c) => ({ ...c, scope: 'site' }));
    expect(changes.map((c) => c.path)).toEqual(['cameras.gate', 'cameras.lobby', 'cameras.yard', 'retention.floorDays']);
    expect(classify(changes)).toEqual([
      { kind: 'camera.replaced', camera: 'gate' },
      { kind: 'camera.added', camera: 'lobby' },
      { kind: 'camera.removed', camera: 'yard' },
      { kind: 'site.changed' },
    ]);
    expect(camerasAffected(changes)).toEqual(['gate', 'lobby', 'yard']);
  });
});

describe('debounce and deadlines', () => {
  const t = (s: string) => new Date(`2026-03-02T${s}Z`);
  const policy = { quietMs: 60_000, maxMs: 300_000 };

  it('a burst becomes one report after a quiet minute, or after five minutes at most', () => {
    expect(burstIsComplete([], t('10:00:00'), policy)).toBe(false);
    expect(burstIsComplete([t('10:00:00'), t('10:00:30')], t('10:01:00'), policy)).toBe(false);
    expect(burstIsComplete([t('10:00:00'), t('10:00:30')], t('10:01:30'), policy)).toBe(true);
    const steady = Array.from({ length: 10 }, (_, i) => new Date(t('10:00:00').getTime() + i * 30_000));
    expect(burstIsComplete(steady, t('10:05:00'), policy)).toBe(true);
  });

  // A calendar where every day is a working day except weekends (enough for the rule).
  const cal = {
    workingDaysBetween(from: string, to: string) {
      let n = 0;
      for (let d = new Date(`${from}T00:00:00Z`); ; ) {
        d = new Date(d.getTime() + 86_400_000);
        const iso = d.toISOString().slice(0, 10);
        if (iso > to) break;
        if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) n++;
      }
      return n;
    },
  };

  it('reminds on the last working day before the deadline and once only; overdue the day after, once', () => {
    const open = { state: 'reported' as const, deadline: '2026-03-09', remindedAt: null, overdueAt: null }; // a Monday
    expect(reportDue(open, '2026-03-05', cal)).toEqual({ remind: false, overdue: false }); // Thursday: 2 working days left
    expect(reportDue(open, '2026-03-06', cal)).toEqual({ remind: true, overdue: false }); // Friday: the last one before
    expect(reportDue({ ...open, remindedAt: 'x' }, '2026-03-07', cal)).toEqual({ remind: false, overdue: false });
    expect(reportDue({ ...open, remindedAt: 'x' }, '2026-03-09', cal)).toEqual({ remind: false, overdue: false }); // due today
    expect(reportDue({ ...open, remindedAt: 'x' }, '2026-03-10', cal)).toEqual({ remind: false, overdue: true });
    expect(reportDue({ ...open, remindedAt: 'x', overdueAt: 'y' }, '2026-03-11', cal)).toEqual({ remind: false, overdue: false });
    expect(reportDue({ ...open, state: 'acknowledged' }, '2026-03-10', cal)).toEqual({ remind: false, overdue: false });
  });
});
