// The retained camera status at many cameras: an event about one camera rebuilds that
// camera's status only, and a full pass is cut into slices so the event loop breathes
// between them (the 256-camera soak measured a full pass per event as its largest block).
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../drivers/log/logger.js';
import type { CameraConfig } from '../../agent/config/types.js';
import { EventBus, type AgentEvent } from '../../agent/events/index.js';
import { CameraStatusService, type StatusLink } from '../../agent/linkage/camera-status.js';

/** A broker connection as the service sees it: records what is published, always connected. */
class RecordingLink implements StatusLink {
  readonly connected = true;
  readonly published: { topic: string; payload: string }[] = [];
  publish(topic: string, payload: string): Promise<void> {
    this.published.push({ topic, payload });
    return Promise.resolve();
  }
  on(): unknown {
    return this;
  }
  off(): unknown {
    return this;
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));
async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) await turn();
}

function cameras(n: number): CameraConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `cam-${i}`,
    name: `Camera ${i}`,
    onvif: { url: `http://127.0.0.1:1/onvif/device_service` },
    location: { kind: 'street', description: 'test' },
    record: false,
    prohibited: false,
  }));
}

function setup(n: number) {
  const online = new Map<string, boolean>();
  const asked: string[] = [];
  const bus = new EventBus(silentLogger());
  const link = new RecordingLink();
  const service = new CameraStatusService({
    site: 's1',
    cameras: cameras(n),
    link,
    bus,
    logger: silentLogger(),
    now: () => new Date(),
    checkMs: 3_600_000,
    sources: {
      uptime: (id) => {
        asked.push(id);
        return { online: online.get(id) ?? true, clockSkewMs: null, h24: 1, d7: 1, d30: 1 };
      },
      clarity: () => null,
      recording: () => null,
    },
  });
  return { online, asked, bus, link, service };
}

const event = (camera: string | undefined): AgentEvent => ({
  seq: 1,
  id: 'e1',
  ts: new Date().toISOString(),
  type: camera ? 'camera.offline' : 'agent.started',
  severity: 'info',
  ...(camera ? { camera } : {}),
  data: {},
});

describe('camera status passes', () => {
  it('publishes every camera at start, in slices, and then only the camera an event names', async () => {
    const t = setup(100);
    t.service.start();
    // The first pass is not done in one turn of the event loop.
    await turn();
    expect(t.link.published.length).toBeGreaterThan(0);
    expect(t.link.published.length).toBeLessThan(100);
    await settle();
    expect(new Set(t.link.published.map((p) => p.topic)).size).toBe(100);

    t.asked.length = 0;
    t.link.published.length = 0;
    t.online.set('cam-42', false);
    t.bus.emit('event', event('cam-42'));
    t.bus.emit('camera.reachability', { camera: 'cam-42', online: false, at: new Date() });
    await settle();
    // Both signals in the same turn: one status built, for that camera only.
    expect(t.asked).toEqual(['cam-42']);
    expect(t.link.published.map((p) => p.topic)).toEqual(['psv/v1/s1/camera/cam-42/status']);
    expect((JSON.parse(t.link.published[0]!.payload) as { online: unknown }).online).toBe(false);
    t.service.stop();
  });

  it('looks at every camera for an event that names none, and publishes only what changed', async () => {
    const t = setup(40);
    t.service.start();
    await settle();
    t.asked.length = 0;
    t.link.published.length = 0;
    t.online.set('cam-7', false);
    t.bus.emit('event', event(undefined));
    await settle();
    expect(t.asked.length).toBe(40);
    expect(t.link.published.map((p) => p.topic)).toEqual(['psv/v1/s1/camera/cam-7/status']);
    t.service.stop();
  });

  it('republish() sends every status again, and nothing is built after stop()', async () => {
    const t = setup(20);
    t.service.start();
    await settle();
    t.link.published.length = 0;
    t.service.republish();
    await settle();
    expect(t.link.published.length).toBe(20);

    t.asked.length = 0;
    t.service.republish();
    t.service.stop();
    await settle();
    expect(t.asked).toEqual([]);
  });
});
