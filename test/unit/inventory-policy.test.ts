import { describe, expect, it } from 'vitest';
import {
  answered,
  decideInterrogation,
  diffRecords,
  matchDevices,
  nextInterrogationDelayMs,
  recordHash,
  type InventoryRecord,
  type PresenceState,
} from '../../agent/inventory/policy.js';

const record = (over: Partial<InventoryRecord> = {}): InventoryRecord => ({
  identity: { manufacturer: 'Acme', model: 'X1', firmware: '5.50', serial: '00012345678901234567', hardwareId: 'hw-1' },
  hostname: 'gate',
  network: [
    { name: 'eth0', mac: '00:11:22:33:44:55', ipv4: ['192.0.2.10', '192.0.2.11'], dhcp: false, enabled: true },
    { name: 'wlan0', mac: '00:11:22:33:44:66', ipv4: [], dhcp: true, enabled: false },
  ],
  scopes: ['onvif://www.onvif.org/name/Gate', 'onvif://www.onvif.org/hardware/X1'],
  profiles: [
    { token: 'p1', name: 'main', videoSourceToken: 'vs', encoder: { encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrate: 4096, gop: 50, quality: 4, profile: 'Main' }, streamUri: 'rtsp://x/1', snapshotUri: null },
    { token: 'p2', name: 'sub', videoSourceToken: 'vs', encoder: null, streamUri: null, snapshotUri: null },
  ],
  imaging: { vs: { Brightness: 50, IrCutFilter: 'AUTO' } },
  ...over,
});

describe('inventory record hash', () => {
  it('does not depend on the order of scopes, interfaces, addresses or profiles', () => {
    const a = record();
    const b = record({
      scopes: [...a.scopes].reverse(),
      network: [...a.network].reverse().map((n) => ({ ...n, ipv4: [...n.ipv4].reverse() })),
      profiles: [...a.profiles].reverse(),
    });
    expect(recordHash(a)).toBe(recordHash(b));
  });

  it('changes with any real difference, including the exact firmware string', () => {
    const base = recordHash(record());
    expect(recordHash(record({ identity: { ...record().identity, firmware: '5.5' } }))).not.toBe(base);
    expect(recordHash(record({ hostname: 'gate-2' }))).not.toBe(base);
    const moved = record();
    moved.profiles[0]!.encoder!.bitrate = 2048;
    expect(recordHash(moved)).not.toBe(base);
  });

  it('lists field-level differences with paths', () => {
    const after = record({ hostname: 'gate-2' });
    after.profiles[0]!.encoder!.width = 1280;
    expect(diffRecords(record(), after)).toEqual([
      { path: 'hostname', before: 'gate', after: 'gate-2' },
      { path: 'profiles[0].encoder.width', before: 1920, after: 1280 },
    ]);
  });
});

describe('interrogation results (presence events belong to the uptime ledger)', () => {
  const unknown: PresenceState = { online: null, consecutiveFailures: 0, authFailed: false };
  const online: PresenceState = { online: true, consecutiveFailures: 0, authFailed: false };

  it('counts failures toward the retry pace, raises no presence event, and resets at the first answer', () => {
    let s = online;
    for (let i = 0; i < 5; i++) {
      const d = decideInterrogation(s, { ok: false, code: 'timeout' }, 3);
      expect(d.events).toEqual([]);
      s = d.next;
    }
    expect(s).toEqual({ online: false, consecutiveFailures: 5, authFailed: false });
    const back = decideInterrogation(s, { ok: true }, 3);
    expect(back.events).toEqual([]);
    expect(back.next).toEqual(online);
    expect(decideInterrogation(unknown, { ok: true }, 3).events).toEqual([]);
  });

  it('a refused password or a SOAP fault is an answer (reachable); a timeout is not', () => {
    expect(answered({ ok: true })).toBe(true);
    expect(answered({ ok: false, code: 'unauthorized' })).toBe(true);
    expect(answered({ ok: false, code: 'fault' })).toBe(true);
    expect(answered({ ok: false, code: 'timeout' })).toBe(false);
    expect(answered({ ok: false, code: 'unreachable' })).toBe(false);
    expect(answered({ ok: false, code: 'protocol' })).toBe(false);
  });

  it('a wrong password is an authentication problem, not an outage: raised once, cleared once', () => {
    const d = decideInterrogation(online, { ok: false, code: 'unauthorized' }, 1);
    expect(d.events).toEqual(['camera.auth_failed']);
    expect(d.next.online).toBe(true);
    const again = decideInterrogation(d.next, { ok: false, code: 'unauthorized' }, 1);
    expect(again.events).toEqual([]);
    expect(decideInterrogation(again.next, { ok: true }, 1).events).toEqual(['camera.auth_restored']);
  });

  it('re-checks failing cameras sooner than healthy ones', () => {
    const intervals = { inventoryMs: 300_000, retryMs: 10_000 };
    expect(nextInterrogationDelayMs(online, intervals)).toBe(300_000);
    expect(nextInterrogationDelayMs({ ...online, consecutiveFailures: 1 }, intervals)).toBe(10_000);
    expect(nextInterrogationDelayMs({ online: false, consecutiveFailures: 4, authFailed: false }, intervals)).toBe(10_000);
  });
});

describe('matching discovered devices to configured cameras', () => {
  const cameras = [
    { id: 'gate', url: 'http://192.0.2.10/onvif/device_service', urn: null },
    { id: 'lobby', url: 'http://192.0.2.11:8080/onvif/device_service', urn: 'urn:uuid:lobby' },
  ];

  it('matches by a known URN, else by host and port of any XAddr, and leaves strangers unmatched', () => {
    const m = matchDevices(
      [
        { urn: 'urn:uuid:gate', xaddrs: ['http://[fe80::1]/onvif/device_service', 'http://192.0.2.10:80/onvif/device_service'] },
        { urn: 'urn:uuid:lobby', xaddrs: ['http://198.51.100.9/onvif/device_service'] },
        { urn: 'urn:uuid:stranger', xaddrs: ['http://192.0.2.11/onvif/device_service'] },
        { urn: 'urn:uuid:garbage', xaddrs: ['not a url'] },
      ],
      cameras,
    );
    expect(Object.fromEntries(m)).toEqual({
      'urn:uuid:gate': 'gate',
      'urn:uuid:lobby': 'lobby',
      'urn:uuid:stranger': null, // same host, other port: another device
      'urn:uuid:garbage': null,
    });
  });
});

describe('prohibited places named in ONVIF scopes', () => {
  it('flags a name or location naming such a place, in English or Chinese, and nothing else', async () => {
    const { prohibitedPlaceHint } = await import('../../agent/inventory/policy.js');
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/location/2F%20Bathroom'])).toEqual({ scope: 'onvif://www.onvif.org/location/2F%20Bathroom', word: 'bathroom' });
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/name/' + encodeURIComponent('三楼卫生间')])?.word).toBe('卫生间');
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/location/' + encodeURIComponent('员工宿舍')])?.word).toBe('宿舍');
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/name/Guest%20Rooms%20Corridor'])?.word).toBe('guest room');
    // Not a prohibited place: other scopes, other words, words merely containing one.
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/hardware/toilet-cam-3000', 'onvif://www.onvif.org/type/video_encoder'])).toBeNull();
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/location/North%20gate', 'onvif://www.onvif.org/name/Dormant%20yard'])).toBeNull();
    expect(prohibitedPlaceHint(['onvif://www.onvif.org/location/%E0%A4%A'])).toBeNull(); // bad escape: read as is
  });
});
