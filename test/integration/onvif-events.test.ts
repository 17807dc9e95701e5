// ONVIF Events (PullPoint) against the camera simulator on 127.0.0.1 — real sockets,
// WS-UsernameToken checked by the simulator, subscriptions addressed by path and wsa:To —
// plus a small quirky camera (Axis/Raysharp-like addressing, reference parameters,
// PullMessagesFaultResponse limits, duration-refusing Renew) for what the simulator lacks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OnvifClient,
  OnvifError,
  isSubscriptionGone,
  onvifTopic,
  watchEvents,
  type OnvifErrorCode,
  type OnvifLogger,
  type OnvifNotification,
  type WatchResult,
  type WatchState,
} from '../../drivers/onvif/index.js';
import { parseXml, type XmlElement } from '../../drivers/xml/parse.js';
import { startFleet, type Fleet, type SimulatedCamera } from '../fakes/onvif-camera/index.js';

const TIMEOUT_MS = 800;
/** Generous slack over a deadline: CI machines are slow, but a hang would blow far past it. */
const SLACK_MS = 1500;
/** Fast retries for the watcher in tests. */
const BACKOFF = [50, 100, 200];

const fleets: Fleet[] = [];
const servers: Server[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

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

async function camera(id = 'cam-1'): Promise<SimulatedCamera> {
  const fleet = await startFleet([{ id }], { discovery: false });
  fleets.push(fleet);
  return fleet.camera(id);
}

function clientFor(cam: SimulatedCamera, extra: Partial<ConstructorParameters<typeof OnvifClient>[0]> = {}): OnvifClient {
  return new OnvifClient({ url: cam.deviceServiceUrl, username: cam.username, password: cam.password, timeoutMs: TIMEOUT_MS * 4, ...extra });
}

/** A logger keeping exchange lines and warn/info messages. */
function recordingLogger() {
  const exchanges: { action: string; status: number }[] = [];
  const warns: string[] = [];
  const infos: string[] = [];
  const logger: OnvifLogger = {
    debug: (obj) => {
      const o = obj as { action?: string; status?: number };
      if (o.action && o.status !== undefined) exchanges.push({ action: o.action, status: o.status });
    },
    info: (_obj, msg) => infos.push(msg ?? ''),
    warn: (_obj, msg) => warns.push(msg ?? ''),
  };
  return { logger, exchanges, warns, infos };
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

async function waitFor(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CONFIG_CHANGED = onvifTopic('Media/ConfigurationChanged');

describe('PullPoint subscription (simulator)', () => {
  it('subscribes, hears a configuration change with its source token, renews and unsubscribes', async () => {
    const cam = await camera();
    const client = clientFor(cam);
    await client.connect();
    const sub = await client.createPullPointSubscription({ initialTerminationSeconds: 120 });
    expect(sub.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/events_service\/pullpoint\//);
    expect(sub.reportedAddress).toBe(sub.address);
    expect(sub.terminationTime).toMatch(/Z$/);
    expect(sub.expiresInMs).toBeGreaterThan(100_000);
    expect(sub.expiresInMs).toBeLessThanOrEqual(121_000);

    cam.setConfig({ width: 640, height: 360 });
    const got = await sub.pull({ timeoutSeconds: 2, messageLimit: 10 });
    expect(got.map((n) => n.topic)).toEqual(['tns1:Media/ConfigurationChanged', 'tns1:Media/ConfigurationChanged']);
    const [videoSource, encoder] = got;
    expect(videoSource).toMatchObject({
      topicExpanded: CONFIG_CHANGED,
      propertyOperation: 'Changed',
      source: { Token: 'VideoSourceConfig_1', Type: 'VideoSource' },
      data: {},
    });
    expect(Date.parse(videoSource!.utcTime!)).not.toBeNaN();
    expect(encoder!.source).toEqual({ Token: 'VideoEncoder_1', Type: 'VideoEncoder' });

    // Nothing queued: the camera holds the request for the Timeout, and it is no error.
    const t0 = performance.now();
    expect(await sub.pull({ timeoutSeconds: 1 })).toEqual([]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);

    await sub.renew(300);
    expect(sub.expiresInMs).toBeGreaterThan(280_000);

    await sub.unsubscribe();
    const gone = await expectCode(sub.pull({ timeoutSeconds: 0 }), 'fault');
    expect(isSubscriptionGone(gone)).toBe(true);
    await sub.unsubscribe(); // already gone counts as done
  });

  it('keeps only the topics asked for, even from a camera that ignores the Filter', async () => {
    const cam = await camera();
    const client = clientFor(cam);
    const video = await client.createPullPointSubscription({ filterTopics: ['tns1:VideoSource//.'] });
    const media = await client.createPullPointSubscription({ filterTopics: ['tns1:Media/ConfigurationChanged'] });
    cam.setConfig({ fps: 12 });
    expect(await video.pull({ timeoutSeconds: 0 })).toEqual([]);
    const got = await media.pull({ timeoutSeconds: 0 });
    expect(got).toHaveLength(1);
    expect(got[0]!.source.Token).toBe('VideoEncoder_1');
    await Promise.all([video.unsubscribe(), media.unsubscribe()]);
    await expect(client.createPullPointSubscription({ filterTopics: ['ns9:Foo'] })).rejects.toThrow(RangeError);
  });

  it("times out a pull at the client's deadline plus the pull's own timeout, not before", async () => {
    const cam = await camera();
    const client = clientFor(cam, { timeoutMs: TIMEOUT_MS });
    const sub = await client.createPullPointSubscription();
    await cam.setFailure('timeout', true);
    const t0 = performance.now();
    const err = await expectCode(sub.pull({ timeoutSeconds: 1 }), 'timeout');
    const took = performance.now() - t0;
    expect(err.action).toBe('PullMessages');
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS + 1000 - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 1000 + SLACK_MS);
  });

  it('reports garbage as protocol', async () => {
    const cam = await camera();
    const sub = await clientFor(cam).createPullPointSubscription();
    await cam.setFailure('garbage_xml', true);
    const err = await expectCode(sub.pull({ timeoutSeconds: 0 }), 'protocol');
    expect(err.action).toBe('PullMessages');
  });

  it('reports an unreachable camera as unreachable', async () => {
    const cam = await camera();
    const sub = await clientFor(cam).createPullPointSubscription();
    await cam.setFailure('offline', true);
    await expectCode(sub.pull({ timeoutSeconds: 0 }), 'unreachable');
  });
});

describe('watchEvents (simulator)', () => {
  function watch(client: OnvifClient, extra: { logger?: OnvifLogger; pullTimeoutSeconds?: number } = {}) {
    const ac = new AbortController();
    const notes: OnvifNotification[] = [];
    const states: WatchState[] = [];
    const done: Promise<WatchResult> = watchEvents(client, {
      signal: ac.signal,
      onNotification: (n) => {
        notes.push(n);
      },
      onStateChange: (s) => states.push(s),
      backoffMs: BACKOFF,
      pullTimeoutSeconds: extra.pullTimeoutSeconds ?? 1,
      renewSeconds: 60,
      ...(extra.logger ? { logger: extra.logger } : {}),
    });
    return { ac, notes, states, done };
  }

  it('delivers notifications and unsubscribes when stopped', async () => {
    const cam = await camera();
    const rec = recordingLogger();
    const w = watch(clientFor(cam, { logger: rec.logger }));
    await waitFor('active', () => w.states.includes('active'));
    cam.setConfig({ bitrate: 1024 });
    await waitFor('a notification', () => w.notes.length > 0);
    expect(w.notes[0]).toMatchObject({ topicExpanded: CONFIG_CHANGED, source: { Token: 'VideoEncoder_1' } });
    w.ac.abort();
    expect(await w.done).toEqual({ reason: 'aborted' });
    expect(w.states.at(-1)).toBe('stopped');
    expect(rec.exchanges.filter((e) => e.action === 'CreatePullPointSubscription')).toHaveLength(1);
    expect(rec.exchanges.at(-1)).toEqual({ action: 'Unsubscribe', status: 200 });
  });

  it('rides out a network outage on the same subscription, events queued meanwhile included', async () => {
    const cam = await camera();
    const rec = recordingLogger();
    const w = watch(clientFor(cam, { timeoutMs: TIMEOUT_MS }), { logger: rec.logger });
    await waitFor('active', () => w.states.includes('active'));
    await cam.setFailure('offline', true);
    await waitFor('retrying', () => w.states.includes('retrying'));
    // The camera's side of the cut long poll lives on until its Timeout (1 s) and would take
    // whatever is published meanwhile (a real camera does the same): publish after it.
    await new Promise((r) => setTimeout(r, 1200));
    cam.setConfig({ width: 640, height: 360 }); // while the camera is unreachable
    await waitFor('a few failed rounds', () => w.states.filter((s) => s === 'retrying').length >= 3);
    await cam.setFailure('offline', false);
    await waitFor('the queued notifications', () => w.notes.length >= 2);
    expect(w.notes.map((n) => n.source.Token)).toEqual(['VideoSourceConfig_1', 'VideoEncoder_1']);
    expect(w.states.filter((s) => s === 'subscribing')).toHaveLength(1);
    // Logged once when it started failing and once when it recovered, not every round.
    expect(rec.warns.filter((m) => m.includes('not receiving'))).toHaveLength(1);
    await waitFor('recovery logged', () => rec.infos.some((m) => m.includes('receiving again')));
    expect(rec.infos.filter((m) => m.includes('receiving again'))).toHaveLength(1);
    w.ac.abort();
    await w.done;
  });

  it('re-subscribes after the camera restarts and keeps delivering', async () => {
    const cam = await camera();
    const rec = recordingLogger();
    const w = watch(clientFor(cam, { timeoutMs: TIMEOUT_MS }), { logger: rec.logger });
    await waitFor('active', () => w.states.includes('active'));
    cam.setConfig({ fps: 10 });
    await waitFor('the first notification', () => w.notes.length === 1);

    await cam.setFailure('offline', true); // power cut…
    await waitFor('retrying', () => w.states.includes('retrying'));
    await cam.stop(); // …the camera forgets its subscriptions…
    await cam.start(); // …and boots on the same address
    await cam.setFailure('offline', false);
    await waitFor('a new subscription', () => w.states.filter((s) => s === 'subscribing').length === 2);
    await waitFor('active again', () => w.states.at(-1) === 'active');
    cam.setConfig({ fps: 15 });
    await waitFor('the second notification', () => w.notes.length === 2);
    expect(w.notes[1]!.source.Token).toBe('VideoEncoder_1');
    expect(rec.warns.filter((m) => m.includes('not receiving'))).toHaveLength(1);
    w.ac.abort();
    expect(await w.done).toEqual({ reason: 'aborted' });
  });

  it('replaces at once, without a failure, a subscription the camera ended early', async () => {
    const cam = await camera();
    const rec = recordingLogger();
    // resyncAfterMs 0: the clock jump below must not cost a login failure streak.
    const w = watch(clientFor(cam, { resyncAfterMs: 0 }), { logger: rec.logger });
    await waitFor('active', () => w.states.includes('active'));
    // The camera clock jumps 10 min ahead: its 60 s subscription is over by its own clock.
    await cam.setFailure('clock_skew', true);
    await waitFor('a new subscription', () => w.states.filter((s) => s === 'subscribing').length === 2);
    await waitFor('active again', () => w.states.at(-1) === 'active');
    cam.setConfig({ fps: 8 });
    await waitFor('a notification', () => w.notes.length === 1);
    expect(w.states).not.toContain('retrying');
    expect(rec.warns).toEqual([]);
    w.ac.abort();
    await w.done;
  });

  it('stops promptly when aborted in the middle of a long poll', async () => {
    const cam = await camera();
    const rec = recordingLogger();
    const w = watch(clientFor(cam, { logger: rec.logger }), { pullTimeoutSeconds: 30 });
    await waitFor('the long poll', () => rec.exchanges.some((e) => e.action === 'CreatePullPointSubscription'));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    w.ac.abort();
    expect(await w.done).toEqual({ reason: 'aborted' });
    expect(performance.now() - t0).toBeLessThan(SLACK_MS);
    expect(rec.exchanges.at(-1)).toEqual({ action: 'Unsubscribe', status: 200 });
  });

  it('refuses invalid options synchronously, before any request', () => {
    const client = new OnvifClient({ url: 'http://127.0.0.1:9/onvif/device_service' });
    const signal = new AbortController().signal;
    const onNotification = () => {};
    expect(() => watchEvents(client, { signal, onNotification, filterTopics: ['acme:Foo'] })).toThrow(RangeError);
    expect(() => watchEvents(client, { signal, onNotification, renewSeconds: 0 })).toThrow(RangeError);
    expect(() => watchEvents(client, { signal, onNotification, backoffMs: [Number.NaN] })).toThrow(RangeError);
  });

  it('stops at once when the signal is already aborted, and survives a throwing callback', async () => {
    const cam = await camera();
    const pre = new AbortController();
    pre.abort();
    expect(await watchEvents(clientFor(cam), { signal: pre.signal, onNotification: () => {} })).toEqual({ reason: 'aborted' });

    const ac = new AbortController();
    const seen: string[] = [];
    const states: WatchState[] = [];
    const done = watchEvents(clientFor(cam), {
      signal: ac.signal,
      pullTimeoutSeconds: 1,
      backoffMs: BACKOFF,
      onNotification: async (n) => {
        seen.push(n.source.Token ?? '');
        throw new Error('consumer bug');
      },
      onStateChange: (state) => {
        states.push(state);
        throw new Error('listener bug');
      },
    });
    await waitFor('active', () => states.includes('active'));
    cam.setConfig({ width: 320, height: 240 });
    await waitFor('both notifications despite the throwing callback', () => seen.length === 2);
    ac.abort();
    expect(await done).toEqual({ reason: 'aborted' });
  });
});

// ---- a quirky camera for what the simulator does not do ----

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSA = 'http://www.w3.org/2005/08/addressing';
const AXIS_EVENT = 'http://www.axis.com/2009/event';

interface QuirkyOptions {
  /** How the subscription address is written. */
  address: 'internal' | 'hostless' | 'relative';
  /** Refuse termination times written as durations (older Hikvision/Dahua/Bosch). */
  durationsRefused?: boolean;
  /** Refuse any Filter (firmware that cannot parse topic expressions). */
  filterRefused?: boolean;
  /** Answer CreatePullPointSubscription with ActionNotSupported. */
  noPullPoints?: boolean;
}

interface Seen {
  op: string;
  path: string;
  contentTypeAction: string | undefined;
  wsaAction: string | undefined;
  to: string | undefined;
  subscriptionId: string | undefined;
  isReferenceParameter: string | undefined;
  timeout?: string;
  limit?: string;
  termination?: string;
}

function faultXml(code: string, sub: string, reason: string, detail = ''): string {
  return (
    `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP12}" xmlns:ter="http://www.onvif.org/ver10/error" xmlns:tev="http://www.onvif.org/ver10/events/wsdl">` +
    `<env:Body><env:Fault><env:Code><env:Value>env:${code}</env:Value><env:Subcode><env:Value>${sub}</env:Value></env:Subcode></env:Code>` +
    `<env:Reason><env:Text xml:lang="en">${reason}</env:Text></env:Reason>${detail ? `<env:Detail>${detail}</env:Detail>` : ''}</env:Fault></env:Body></env:Envelope>`
  );
}

const ok = (body: string) =>
  `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP12}" xmlns:wsa5="${WSA}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"` +
  ` xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"` +
  ` xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:tnsaxis="http://www.axis.com/2009/event/topics">` +
  `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function quirkyCamera(o: QuirkyOptions): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const INTERNAL = 'http://192.168.1.64';
  const subPath = '/onvif/Subscription?Idx=3';
  const reported = o.address === 'internal' ? `${INTERNAL}${subPath}` : o.address === 'hostless' ? `http://${subPath}` : subPath;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, xml: string) => {
        res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
        res.end(xml);
      };
      let env: XmlElement;
      try {
        env = parseXml(Buffer.concat(chunks));
      } catch {
        return send(400, faultXml('Sender', 'ter:WellFormed', 'bad xml'));
      }
      const header = env.children.find((c) => c.local === 'Header');
      const op = env.children.find((c) => c.local === 'Body')?.children[0];
      const h = (ns: string, local: string) => header?.children.find((c) => c.ns === ns && c.local === local);
      const text = (el: XmlElement | undefined, local: string) => el?.children.find((c) => c.local === local)?.text.trim();
      const subId = h(AXIS_EVENT, 'SubscriptionId');
      const s: Seen = {
        op: op?.local ?? '',
        path: req.url ?? '',
        contentTypeAction: /action="([^"]+)"/.exec(req.headers['content-type'] ?? '')?.[1],
        wsaAction: h(WSA, 'Action')?.text,
        to: h(WSA, 'To')?.text,
        subscriptionId: subId?.text,
        isReferenceParameter: subId?.attrs.find((a) => a.local === 'IsReferenceParameter' && a.ns === WSA)?.value,
      };
      seen.push(s);
      const now = Date.now();
      switch (s.op) {
        case 'GetCapabilities':
          return send(
            200,
            ok(
              `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
                `<tt:Events><tt:XAddr>${INTERNAL}/onvif/services</tt:XAddr></tt:Events>` +
                `<tt:Imaging><tt:XAddr>${INTERNAL}/onvif/services</tt:XAddr></tt:Imaging>` +
                `<tt:Media><tt:XAddr>${INTERNAL}/onvif/services</tt:XAddr></tt:Media>` +
                `</tds:Capabilities></tds:GetCapabilitiesResponse>`,
            ),
          );
        case 'CreatePullPointSubscription': {
          if (o.noPullPoints) return send(500, faultXml('Receiver', 'ter:ActionNotSupported', 'Optional Action Not Implemented'));
          s.termination = text(op, 'InitialTerminationTime');
          if (o.durationsRefused && s.termination?.startsWith('P')) {
            return send(400, faultXml('Sender', 'ter:InvalidArgVal', 'InitialTerminationTime'));
          }
          if (o.filterRefused && op?.children.some((c) => c.local === 'Filter')) {
            return send(400, faultXml('Sender', 'wsntw:InvalidFilterFault', 'failed to parse topic expression'));
          }
          return send(
            200,
            ok(
              `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>${reported.replace(/&/g, '&amp;')}</wsa5:Address>` +
                `<wsa5:ReferenceParameters><dom0:SubscriptionId xmlns:dom0="${AXIS_EVENT}">3</dom0:SubscriptionId></wsa5:ReferenceParameters>` +
                `</tev:SubscriptionReference><wsnt:CurrentTime>${iso(now)}</wsnt:CurrentTime>` +
                `<wsnt:TerminationTime>${iso(now + 60_000)}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>`,
            ),
          );
        }
      }
      // Subscription operations: routed on wsa:To and the reference parameter, as Axis does.
      if (s.to !== reported || s.subscriptionId !== '3' || s.path !== subPath) {
        return send(400, faultXml('Sender', 'wsrf-rw:ResourceUnknownFault', 'No such subscription'));
      }
      switch (s.op) {
        case 'PullMessages': {
          s.timeout = text(op, 'Timeout');
          s.limit = text(op, 'MessageLimit');
          if (s.timeout !== 'PT5S' || Number(s.limit) > 10) {
            return send(
              500,
              faultXml(
                'Receiver',
                'ter:Action',
                'Timeout or MessageLimit out of range',
                `<tev:PullMessagesFaultResponse><tev:MaxTimeout>PT5S</tev:MaxTimeout><tev:MaxMessageLimit>10</tev:MaxMessageLimit></tev:PullMessagesFaultResponse>`,
              ),
            );
          }
          const note = (topic: string) =>
            `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topic}</wsnt:Topic>` +
            `<wsnt:Message><tt:Message UtcTime="${iso(now)}" PropertyOperation="Changed"><tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="vsc0"/></tt:Source>` +
            `<tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`;
          return send(
            200,
            ok(
              `<tev:PullMessagesResponse><tev:CurrentTime>${iso(now)}</tev:CurrentTime><tev:TerminationTime>${iso(now + 60_000)}</tev:TerminationTime>` +
                note('tns1:VideoSource/ImageTooDark/AnalyticsService') +
                note('tns1:RuleEngine/CellMotionDetector/Motion') +
                `</tev:PullMessagesResponse>`,
            ),
          );
        }
        case 'Renew':
          s.termination = text(op, 'TerminationTime');
          if (o.durationsRefused && s.termination?.startsWith('P')) return send(400, faultXml('Sender', 'ter:InvalidArgVal', 'TerminationTime'));
          return send(
            200,
            ok(`<wsnt:RenewResponse><wsnt:TerminationTime>${iso(now + 300_000)}</wsnt:TerminationTime><wsnt:CurrentTime>${iso(now)}</wsnt:CurrentTime></wsnt:RenewResponse>`),
          );
        case 'Unsubscribe':
          return send(200, ok(`<wsnt:UnsubscribeResponse/>`));
        default:
          return send(500, faultXml('Receiver', 'ter:ActionNotSupported', 'Optional Action Not Implemented'));
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/device_service`, seen };
}

describe('real-camera quirks (local quirky camera)', () => {
  it.each(['internal', 'hostless', 'relative'] as const)(
    'reaches a %s subscription address, echoing wsa:To and reference parameters',
    async (address) => {
      const cam = await quirkyCamera({ address });
      const client = new OnvifClient({ url: cam.url, timeoutMs: TIMEOUT_MS * 4 });
      const sub = await client.createPullPointSubscription({ filterTopics: ['tns1:VideoSource//.'] });
      const origin = new URL(cam.url).origin;
      expect(sub.address).toBe(`${origin}/onvif/Subscription?Idx=3`);

      // PT30S/100 is over the device's limits: one PullMessagesFaultResponse, then within them.
      const got = await sub.pull({ timeoutSeconds: 30, messageLimit: 100 });
      expect(got.map((n) => n.topicExpanded)).toEqual([onvifTopic('VideoSource/ImageTooDark/AnalyticsService')]); // filtered here
      expect(got[0]!.source).toEqual({ VideoSourceConfigurationToken: 'vsc0' });
      const pulls = cam.seen.filter((s) => s.op === 'PullMessages');
      expect(pulls.map((p) => [p.timeout, p.limit])).toEqual([
        ['PT30S', '100'],
        ['PT5S', '10'],
      ]);
      await sub.pull({ timeoutSeconds: 30 }); // the limits are remembered
      expect(cam.seen.filter((s) => s.op === 'PullMessages').at(-1)?.timeout).toBe('PT5S');

      await sub.renew(300);
      expect(sub.expiresInMs).toBeGreaterThan(280_000);
      await sub.unsubscribe();

      const create = cam.seen.find((s) => s.op === 'CreatePullPointSubscription')!;
      expect(create.path).toBe('/onvif/services'); // the internal XAddr host was rewritten, the path kept
      expect(create.wsaAction).toBe('http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionRequest');
      expect(create.contentTypeAction).toBe(create.wsaAction);
      for (const s of cam.seen.filter((x) => ['PullMessages', 'Renew', 'Unsubscribe'].includes(x.op))) {
        expect(s.contentTypeAction).toBe(s.wsaAction);
        expect(s.isReferenceParameter).toBe('true');
      }
      expect(cam.seen.find((s) => s.op === 'Renew')?.wsaAction).toBe('http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest');
    },
  );

  it('switches to absolute termination times for a camera that refuses durations', async () => {
    const cam = await quirkyCamera({ address: 'internal', durationsRefused: true });
    const client = new OnvifClient({ url: cam.url, timeoutMs: TIMEOUT_MS * 4 });
    const sub = await client.createPullPointSubscription({ initialTerminationSeconds: 60 });
    await sub.renew(120);
    const terms = cam.seen.filter((s) => s.termination !== undefined).map((s) => [s.op, s.termination!.startsWith('P') ? 'duration' : 'absolute']);
    // One refusal, then absolute times from then on (the Renew goes absolute first time).
    expect(terms).toEqual([
      ['CreatePullPointSubscription', 'duration'],
      ['CreatePullPointSubscription', 'absolute'],
      ['Renew', 'absolute'],
    ]);
    const renewAt = Date.parse(cam.seen.find((s) => s.op === 'Renew')!.termination!);
    expect(Math.abs(renewAt - (Date.now() + 120_000))).toBeLessThan(5_000);
  });

  it('subscribes without the Filter when the camera refuses it, and filters here instead', async () => {
    const cam = await quirkyCamera({ address: 'internal', filterRefused: true });
    const client = new OnvifClient({ url: cam.url, timeoutMs: TIMEOUT_MS * 4 });
    const sub = await client.createPullPointSubscription({ filterTopics: ['tns1:RuleEngine//.'] });
    const got = await sub.pull({ timeoutSeconds: 5, messageLimit: 10 });
    expect(got.map((n) => n.topic)).toEqual(['tns1:RuleEngine/CellMotionDetector/Motion']);
    expect(cam.seen.filter((s) => s.op === 'CreatePullPointSubscription')).toHaveLength(2);
  });

  it('a camera without pull points is a fault, and the watcher tells the caller to poll', async () => {
    const cam = await quirkyCamera({ address: 'internal', noPullPoints: true });
    const client = new OnvifClient({ url: cam.url, timeoutMs: TIMEOUT_MS * 4 });
    const err = await expectCode(client.createPullPointSubscription(), 'fault');
    expect(err.faultCode).toMatch(/ActionNotSupported/);
    const states: WatchState[] = [];
    const result = await watchEvents(client, {
      signal: new AbortController().signal,
      onNotification: () => {},
      onStateChange: (s) => states.push(s),
    });
    expect(result.reason).toBe('unsupported');
    expect(states).toEqual(['subscribing', 'unsupported']);
  });

  it('a device that advertises no events service fails the same way without asking', async () => {
    // Every request faults: no capabilities, no services, so no events XAddr.
    const server = createServer((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/soap+xml' });
      res.end(faultXml('Receiver', 'ter:ActionNotSupported', 'Optional Action Not Implemented'));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/device_service`;
    const rec = recordingLogger();
    const client = new OnvifClient({ url, timeoutMs: TIMEOUT_MS * 4, logger: rec.logger });
    const err = await expectCode(client.createPullPointSubscription(), 'fault');
    expect(err.faultCode).toBe('ter:ActionNotSupported');
    expect(rec.exchanges.map((e) => e.action)).toEqual(['GetCapabilities', 'GetServices']);
  });
});
