// The ONVIF client driver against the camera simulator on 127.0.0.1 (real sockets, real
// HTTP, WS-UsernameToken and HTTP Digest checked by the simulator on its own clock), plus
// a few tiny local HTTP servers for behaviour the simulator does not have.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OnvifClient, OnvifError, redactUrl, type OnvifErrorCode, type OnvifLogger } from '../../drivers/onvif/index.js';
import { parseDeviceInformation } from '../../drivers/onvif/parse-device.js';
import { DEVICE_RESPONSES } from '../../drivers/onvif/parse-device.js';
import { decodeSoapResponse } from '../../drivers/onvif/soap.js';
import { reachableMediaUri, reachableXAddr } from '../../drivers/onvif/url.js';
import { startFleet, type Fleet, type FleetOptions, type SimulatedCamera, type SimulatedCameraSpec } from '../fakes/onvif-camera/index.js';

const TIMEOUT_MS = 800;
/** Generous slack over a deadline: CI machines are slow, but a per-idle timer would blow far past it. */
const SLACK_MS = 1500;

const fleets: Fleet[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function camera(spec: Partial<SimulatedCameraSpec> = {}, opts: FleetOptions['camera'] = {}): Promise<SimulatedCamera> {
  const fleet = await startFleet([{ id: 'cam-1', ...spec }], { discovery: false, camera: opts });
  fleets.push(fleet);
  return fleet.camera(spec.id ?? 'cam-1');
}

function clientFor(cam: SimulatedCamera, extra: Partial<ConstructorParameters<typeof OnvifClient>[0]> = {}): OnvifClient {
  return new OnvifClient({
    url: cam.deviceServiceUrl,
    username: cam.username,
    password: cam.password,
    timeoutMs: TIMEOUT_MS * 4,
    ...extra,
  });
}

/** A logger that keeps the client's exchange log lines (action and HTTP status). */
function exchangeLog(): { logger: OnvifLogger; lines: { action: string; status: number }[] } {
  const lines: { action: string; status: number }[] = [];
  const keep = (obj: object) => {
    const o = obj as { action?: string; status?: number };
    if (o.action && o.status !== undefined) lines.push({ action: o.action, status: o.status });
  };
  return { logger: { debug: keep, info() {}, warn() {} }, lines };
}

async function failure(p: Promise<unknown>): Promise<OnvifError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OnvifError);
    return err as OnvifError;
  }
  throw new Error('expected a failure');
}

async function expectCode(p: Promise<unknown>, code: OnvifErrorCode): Promise<OnvifError> {
  const err = await failure(p);
  expect(err.code, err.message).toBe(code);
  return err;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('identity', () => {
  it('keeps firmware, serial and the other identity strings exactly as sent', async () => {
    const cam = await camera({
      firmware: '5.50',
      serial: '00012345678901234567',
      manufacturer: 'Hikvision',
      model: 'DS-2CD2143G2-I',
      hardwareId: '88',
    });
    const identity = await clientFor(cam).connect();
    expect(identity).toEqual({
      manufacturer: 'Hikvision',
      model: 'DS-2CD2143G2-I',
      firmware: '5.50',
      serial: '00012345678901234567',
      hardwareId: '88',
    });
  });

  it('trims identity strings only at the ends, whatever prefix the camera uses', () => {
    const xml =
      `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope">` +
      `<SOAP-ENV:Body><GetDeviceInformationResponse xmlns="http://www.onvif.org/ver10/device/wsdl">` +
      `<Manufacturer>\n  Uni View &amp; Co \n</Manufacturer><Model>IPC 322</Model><FirmwareVersion> 5.50 </FirmwareVersion>` +
      `<SerialNumber>00012345678901234567</SerialNumber><HardwareId>1.0</HardwareId>` +
      `</GetDeviceInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
    const el = decodeSoapResponse({ status: 200, body: xml }, DEVICE_RESPONSES.GetDeviceInformation, 1 << 20);
    expect(parseDeviceInformation(el)).toEqual({
      manufacturer: 'Uni View & Co',
      model: 'IPC 322',
      firmware: '5.50',
      serial: '00012345678901234567',
      hardwareId: '1.0',
    });
  });

  it('reads answers declared in another encoding (GB2312 from some Chinese firmware)', () => {
    const head =
      `<?xml version="1.0" encoding="GB2312"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">` +
      `<env:Body><tds:GetDeviceInformationResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Manufacturer>`;
    const tail =
      `</tds:Manufacturer><tds:Model>IPC</tds:Model><tds:FirmwareVersion>5.50</tds:FirmwareVersion>` +
      `<tds:SerialNumber>00012345678901234567</tds:SerialNumber><tds:HardwareId>1</tds:HardwareId>` +
      `</tds:GetDeviceInformationResponse></env:Body></env:Envelope>`;
    const body = Buffer.concat([Buffer.from(head), Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from(tail)]);
    const el = decodeSoapResponse({ status: 200, body }, DEVICE_RESPONSES.GetDeviceInformation, 1 << 20);
    expect(parseDeviceInformation(el).manufacturer).toBe('你好');
  });
});

describe('authentication', () => {
  it('reads the clock with credentials when the camera refuses GetSystemDateAndTime without (Vivotek, Panasonic)', async () => {
    const cam = await camera({}, { publicActions: ['GetCapabilities', 'GetServices'] });
    const log = exchangeLog();
    const client = clientFor(cam, { logger: log.logger });
    await expect(client.connect()).resolves.toMatchObject({ firmware: '5.50' });
    expect(log.lines.slice(0, 2)).toEqual([
      { action: 'GetSystemDateAndTime', status: 400 },
      { action: 'GetSystemDateAndTime', status: 200 },
    ]);
    expect(client.timeOffsetMs).not.toBeNull();
  });

  it("ter:NotAuthorized is 'unauthorized' whatever the HTTP status (500 seen in the field), SOAP 1.1 too", async () => {
    const soap12 =
      `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">` +
      `<s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code>` +
      `<s:Reason><s:Text xml:lang="en">Sender not Authorized. You still have 4 attempt(s).</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
    const soap11 =
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>` +
      `<faultcode>SOAP-ENV:Client</faultcode><faultstring>Sender not authorized</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
    const base = await listen((req, res) => {
      req.resume();
      res.writeHead(req.url === '/v11' ? 400 : 500, { 'Content-Type': 'application/soap+xml' }).end(req.url === '/v11' ? soap11 : soap12);
    });
    for (const path of ['/v12', '/v11']) {
      const client = new OnvifClient({ url: base + path, username: 'admin', password: 'x', timeoutMs: TIMEOUT_MS });
      const err = await expectCode(client.getDeviceInformation(), 'unauthorized');
      expect(err.httpStatus).toBe(path === '/v11' ? 400 : 500);
    }
  });

  for (const status of [400, 401] as const) {
    it(`a wrong password is 'unauthorized' when the camera answers ${status}`, async () => {
      const cam = await camera({}, { unauthorizedStatus: status });
      const secret = 'wrong-Pa55word!';
      const client = clientFor(cam, { password: secret });
      const err = await expectCode(client.connect(), 'unauthorized');
      expect(err.action).toBe('GetDeviceInformation');
      expect([400, 401]).toContain(err.httpStatus);
      expect(err.url).toBe(cam.deviceServiceUrl);
      expect(`${err.message} ${err.stack ?? ''} ${JSON.stringify(err)}`).not.toContain(secret);
    });
  }

  it('a wrong user name is unauthorized too', async () => {
    const cam = await camera();
    await expectCode(clientFor(cam, { username: 'nobody' }).connect(), 'unauthorized');
  });

  it('authenticates on a camera whose clock is 2 h off (offset measured, Created in device time)', async () => {
    const cam = await camera();
    await cam.setFailure('clock_skew', true, { skewMs: 2 * 3_600_000 });
    const client = clientFor(cam);
    const identity = await client.connect();
    expect(identity.serial).toBeTruthy();
    expect(client.timeOffsetMs).not.toBeNull();
    expect(Math.abs(client.timeOffsetMs! - 2 * 3_600_000)).toBeLessThan(5_000);
    await expect(client.getProfiles()).resolves.toHaveLength(2);
  });

  it('re-reads the device clock and retries once when the camera clock jumps after connect', async () => {
    const cam = await camera();
    const log = exchangeLog();
    const client = clientFor(cam, { resyncAfterMs: 0, logger: log.logger });
    await client.connect();
    expect(Math.abs(client.timeOffsetMs!)).toBeLessThan(5_000);
    await cam.setFailure('clock_skew', true, { skewMs: -3 * 3_600_000 });
    await new Promise((r) => setTimeout(r, 5));
    log.lines.length = 0;
    await expect(client.getProfiles()).resolves.toHaveLength(2);
    expect(log.lines).toEqual([
      { action: 'GetProfiles', status: 400 },
      { action: 'GetSystemDateAndTime', status: 200 },
      { action: 'GetProfiles', status: 200 },
    ]);
    expect(Math.abs(client.timeOffsetMs! + 3 * 3_600_000)).toBeLessThan(5_000);
  });

  it('does not re-read the clock (no extra login attempt) while the offset is fresh', async () => {
    const cam = await camera();
    const log = exchangeLog();
    const client = clientFor(cam, { password: 'bad', logger: log.logger });
    await expectCode(client.connect(), 'unauthorized');
    log.lines.length = 0;
    await expectCode(client.getDeviceInformation(), 'unauthorized');
    expect(log.lines).toEqual([{ action: 'GetDeviceInformation', status: 400 }]);
  });

  it('falls back to HTTP Digest when the camera challenges with 401', async () => {
    // The token is made on a clock 1 h off and never corrected (no connect, no resync), so
    // only HTTP Digest can authenticate: the client must answer the camera's challenge.
    const cam = await camera({}, { unauthorizedStatus: 401 });
    const log = exchangeLog();
    const client = clientFor(cam, { now: () => Date.now() - 3_600_000, resyncAfterMs: 24 * 3_600_000, logger: log.logger });
    const info = await client.getDeviceInformation();
    expect(info.firmware).toBe('5.50');
    // Reused pre-emptively afterwards: no second 401.
    await expect(client.getScopes()).resolves.toContain('onvif://www.onvif.org/Profile/Streaming');
    expect(log.lines).toEqual([
      { action: 'GetDeviceInformation', status: 401 },
      { action: 'GetDeviceInformation', status: 200 },
      { action: 'GetScopes', status: 200 },
    ]);
  });
});

describe('failures are typed and bounded', () => {
  it("a closed port is 'unreachable'", async () => {
    const port = await closedPort();
    const client = new OnvifClient({ url: `http://127.0.0.1:${port}/onvif/device_service`, username: 'admin', password: 'x', timeoutMs: TIMEOUT_MS });
    const err = await expectCode(client.connect(), 'unreachable');
    expect(err.action).toBe('GetSystemDateAndTime');
  });

  it("an offline camera is 'unreachable'", async () => {
    const cam = await camera();
    await cam.setFailure('offline', true);
    await expectCode(clientFor(cam, { timeoutMs: TIMEOUT_MS }).connect(), 'unreachable');
  });

  it("an unknown host is 'unreachable'", async () => {
    const client = new OnvifClient({ url: 'http://camera.invalid/onvif/device_service', timeoutMs: 3_000 });
    const err = await failure(client.getSystemDateAndTime());
    expect(['unreachable', 'timeout']).toContain(err.code);
  });

  it("a camera that never answers is a 'timeout' at the deadline", async () => {
    const cam = await camera();
    await cam.setFailure('timeout', true);
    const t0 = performance.now();
    const err = await expectCode(clientFor(cam, { timeoutMs: TIMEOUT_MS }).connect(), 'timeout');
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(err.action).toBe('GetSystemDateAndTime');
  });

  it("a camera dripping bytes is a 'timeout' at the TOTAL deadline (not reset by each byte)", async () => {
    const cam = await camera();
    // A byte every 20 ms never leaves a socket idle for long, and a SOAP answer of ~1 KB takes 20 s+.
    await cam.setFailure('slow_drip', true, { intervalMs: 20 });
    const t0 = performance.now();
    await expectCode(clientFor(cam, { timeoutMs: TIMEOUT_MS }).getSystemDateAndTime(), 'timeout');
    expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it("a 300 MB answer is 'too_large', quickly and with bounded memory", async () => {
    const cam = await camera();
    await cam.setFailure('oversized', true); // 300 MB by default, streamed by the simulator
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const err = await expectCode(clientFor(cam).connect(), 'too_large');
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(50 * 1024 * 1024);
    expect(err.httpStatus).toBe(200);
  });

  it("a huge chunked answer without Content-Length is cut at the cap ('too_large', memory bounded)", async () => {
    let sent = 0;
    const base = await listen((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' }); // chunked: no length announced
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && sent < 300 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      req.resume();
      pump();
    });
    const client = new OnvifClient({ url: `${base}/onvif/device_service`, timeoutMs: 5_000, maxResponseBytes: 1024 * 1024 });
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    await expectCode(client.getSystemDateAndTime(), 'too_large');
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(50 * 1024 * 1024);
    // The server could only push what socket buffers hold beyond the cap, not 300 MB.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it("garbage instead of XML is 'protocol'", async () => {
    const cam = await camera();
    await cam.setFailure('garbage_xml', true);
    await expectCode(clientFor(cam).connect(), 'protocol');
  });

  it("an HTML error page is 'protocol', a SOAP fault is 'fault' with its subcode", async () => {
    const base = await listen((req, res) => {
      req.resume();
      if (req.url === '/html') {
        res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><body>Internal error</body></html>');
        return;
      }
      res.writeHead(500, { 'Content-Type': 'application/soap+xml' }).end(
        `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">` +
          `<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>ter:ActionNotSupported</s:Value></s:Subcode></s:Code>` +
          `<s:Reason><s:Text xml:lang="en">Optional Action Not Implemented</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`,
      );
    });
    const html = new OnvifClient({ url: `${base}/html`, timeoutMs: TIMEOUT_MS });
    const e1 = await expectCode(html.getSystemDateAndTime(), 'protocol');
    expect(e1.httpStatus).toBe(500);
    const soap = new OnvifClient({ url: `${base}/soap`, timeoutMs: TIMEOUT_MS });
    const e2 = await expectCode(soap.getSystemDateAndTime(), 'fault');
    expect(e2.faultCode).toBe('s:Receiver/ter:ActionNotSupported');
    expect(e2.message).toContain('Optional Action Not Implemented');
  });
});

describe('interrogation', () => {
  it('returns identity, time, network, scopes, profiles with encoders and URIs, imaging', async () => {
    const cam = await camera({ width: 1920, height: 1080, fps: 25, bitrate: 4096, hostname: 'gate-north', firmware: '5.50' });
    const client = clientFor(cam);
    const report = await client.interrogate();
    expect(report.partial).toEqual([]);
    expect(report.xaddr).toBe(cam.deviceServiceUrl);
    expect(report.identity.firmware).toBe('5.50');
    expect(report.hostname).toBe('gate-north');
    expect(Math.abs(report.time.offsetMs)).toBeLessThan(5_000);
    expect(report.time.timezone).toBe('CST-8');
    expect(report.time.ntp).toBe(false);
    expect(report.network).toHaveLength(1);
    expect(report.network[0]).toMatchObject({ token: 'eth0', name: 'eth0', enabled: true, ipv4: ['127.0.0.1'], dhcp: false });
    expect(report.network[0]!.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(report.scopes).toEqual(cam.scopes);
    expect(report.services.media).toBe(`${cam.baseUrl}/onvif/media_service`);
    expect(report.services.imaging).toBe(`${cam.baseUrl}/onvif/imaging_service`);
    expect(report.services.events).toBe(`${cam.baseUrl}/onvif/events_service`);

    expect(report.profiles).toHaveLength(2);
    const [main, sub] = report.profiles;
    expect(main).toEqual({
      token: 'Profile_1',
      name: 'mainStream',
      videoSourceToken: 'VideoSource_1',
      encoder: { token: 'VideoEncoder_1', encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrate: 4096, gop: 50, quality: 5, profile: 'Main' },
      streamUri: 'rtsp://127.0.0.1:554/sim/cam-1/main',
      snapshotUri: cam.snapshotUrl,
    });
    expect(sub!.encoder).toMatchObject({ width: 640, height: 360, fps: 15, bitrate: 512 });
    expect(sub!.streamUri).toBe('rtsp://127.0.0.1:554/sim/cam-1/sub');

    expect(Object.keys(report.imaging)).toEqual(['VideoSource_1']);
    expect(report.imaging.VideoSource_1).toMatchObject({
      Brightness: 50,
      Contrast: 50,
      ColorSaturation: 50,
      Sharpness: 50,
      IrCutFilter: 'AUTO',
      'Exposure.Mode': 'AUTO',
      'Focus.AutoFocusMode': 'AUTO',
      'WhiteBalance.Mode': 'AUTO',
    });
  });

  it('reads changed settings on the next interrogation', async () => {
    const cam = await camera();
    const client = clientFor(cam);
    await client.connect();
    cam.setConfig({ width: 2560, height: 1440, bitrate: 6144, firmware: '5.7.3' });
    cam.setCondition('dark');
    const report = await client.interrogate();
    expect(report.identity.firmware).toBe('5.7.3');
    expect(report.profiles[0]!.encoder).toMatchObject({ width: 2560, height: 1440, bitrate: 6144 });
    expect(report.imaging.VideoSource_1!.Brightness).toBe(5);
  });
});

describe('snapshots', () => {
  it('fetches a JPEG with HTTP Digest and honours maxBytes', async () => {
    const cam = await camera({ width: 640, height: 360 });
    const client = clientFor(cam);
    const uri = await client.getSnapshotUri('Profile_1');
    expect(uri).toBe(cam.snapshotUrl);
    const snap = await client.fetchSnapshot(uri!);
    expect(snap.contentType).toBe('image/jpeg');
    expect(snap.body[0]).toBe(0xff);
    expect(snap.body[1]).toBe(0xd8);
    expect(snap.body.length).toBeGreaterThan(1000);
    await expectCode(client.fetchSnapshot(uri!, { maxBytes: 1000 }), 'too_large');
  });

  it("a wrong password on the snapshot is 'unauthorized'", async () => {
    const cam = await camera();
    await expectCode(clientFor(cam, { password: 'nope' }).fetchSnapshot(cam.snapshotUrl), 'unauthorized');
  });

  it('an oversized snapshot is cut at the cap', async () => {
    const cam = await camera();
    await cam.setFailure('oversized', true);
    const t0 = performance.now();
    await expectCode(clientFor(cam).fetchSnapshot(cam.snapshotUrl), 'too_large');
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it('never sends credentials before a challenge, prefers Digest to Basic, uses Basic only when it is all', async () => {
    const seen: (string | undefined)[] = [];
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]);
    const base = await listen((req, res) => {
      req.resume();
      seen.push(req.headers.authorization);
      const basicOnly = req.url?.startsWith('/basic');
      if (!req.headers.authorization) {
        const challenges = basicOnly ? ['Basic realm="cam"'] : ['Basic realm="cam"', 'Digest realm="cam", qop="auth", nonce="abc123", algorithm=MD5'];
        res.writeHead(401, { 'WWW-Authenticate': challenges }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(jpeg);
    });
    const client = new OnvifClient({ url: `${base}/onvif/device_service`, username: 'admin', password: 'pw', timeoutMs: TIMEOUT_MS });
    await client.fetchSnapshot(`${base}/digest.jpg`);
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toMatch(/^Digest /);
    expect(seen[1]).toContain('uri="/digest.jpg"');
    expect(seen[1]).not.toContain('pw');
    const client2 = new OnvifClient({ url: `${base}/onvif/device_service`, username: 'admin', password: 'pw', timeoutMs: TIMEOUT_MS });
    seen.length = 0;
    await client2.fetchSnapshot(`${base}/basic.jpg`);
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });
});

describe('addresses', () => {
  it('redacts credentials and secret query values', () => {
    expect(redactUrl('http://admin:secret@192.0.2.1/onvif/device_service')).toBe('http://192.0.2.1/onvif/device_service');
    expect(redactUrl('http://192.0.2.1/cgi-bin/snapshot.cgi?usr=admin&pwd=secret&chn=1')).not.toContain('secret');
    expect(redactUrl('rtsp://u:p@h:554/x')).toBe('rtsp://h:554/x');
  });

  it('takes user:password from the device URL and never puts them in errors', async () => {
    const port = await closedPort();
    const client = new OnvifClient({ url: `http://admin:s3cr3t@127.0.0.1:${port}/onvif/device_service`, timeoutMs: TIMEOUT_MS });
    const err = await expectCode(client.getDeviceInformation(), 'unreachable');
    expect(err.url).toBe(`http://127.0.0.1:${port}/onvif/device_service`);
    expect(err.message).not.toContain('s3cr3t');
  });

  it('rewrites XAddrs that name another host (NAT) and media URIs on the same internal host', () => {
    const device = new URL('http://203.0.113.7:8080/onvif/device_service');
    const { url, rewritten } = reachableXAddr(new URL('http://192.168.1.64/onvif/Media'), device);
    expect(rewritten).toBe(true);
    expect(url.toString()).toBe('http://203.0.113.7:8080/onvif/Media');
    expect(reachableXAddr(new URL('http://203.0.113.7:8080/onvif/Media'), device).rewritten).toBe(false);
    const hosts = new Set(['192.168.1.64']);
    expect(reachableMediaUri('rtsp://192.168.1.64:554/Streaming/Channels/101', device, hosts)).toBe('rtsp://203.0.113.7:554/Streaming/Channels/101');
    expect(reachableMediaUri('rtsp://0.0.0.0:554/live', device, new Set())).toBe('rtsp://203.0.113.7:554/live');
    expect(reachableMediaUri('rtsp://198.51.100.9:554/live', device, new Set())).toBe('rtsp://198.51.100.9:554/live');
  });
});
