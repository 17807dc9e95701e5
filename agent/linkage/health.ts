import { uptime as hostUptime } from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import si from 'systeminformation';
import type { Logger } from '../../drivers/log/logger.js';
import { withDeadline, type Service } from '../lifecycle/service.js';
import type { StatusLink } from './camera-status.js';
import { topics } from './topics.js';

/** The host facts the health topic carries; each is null when it did not arrive in time. */
export interface HostProbe {
  cpu(): Promise<{ loadPercent: number } | null>;
  memory(): Promise<{ totalBytes: number; usedBytes: number; availableBytes: number } | null>;
  temperature(): Promise<{ mainC: number | null; maxC: number | null } | null>;
  disks(): Promise<{ mount: string; fs: string; sizeBytes: number; usedBytes: number; usePercent: number | null }[] | null>;
}

/** systeminformation behind HostProbe. */
export const systemInformationProbe: HostProbe = {
  async cpu() {
    const l = await si.currentLoad();
    return { loadPercent: round1(l.currentLoad) };
  },
  async memory() {
    const m = await si.mem();
    return { totalBytes: m.total, usedBytes: m.active, availableBytes: m.available };
  },
  async temperature() {
    const t = await si.cpuTemperature();
    // systeminformation reports an unknown sensor as null or -1 depending on the platform.
    const ok = (v: number | null | undefined) => (typeof v === 'number' && v > 0 ? v : null);
    return { mainC: ok(t.main), maxC: ok(t.max) };
  },
  async disks() {
    const list = await si.fsSize();
    return list.map((d) => ({ mount: d.mount, fs: d.fs, sizeBytes: d.size, usedBytes: d.used, usePercent: Number.isFinite(d.use) ? d.use : null }));
  },
};

export interface HealthDeps {
  site: string;
  link: StatusLink;
  logger: Logger;
  now: () => Date;
  probe?: HostProbe;
  /** Request refusals per reason (RequestRouter.refusals). */
  refusals: () => Record<string, number>;
  outboxSize: () => number;
  agentVersion: string;
  bootId: string;
  intervalMs?: number;
  /** Deadline of each host call (systeminformation can take seconds, e.g. on a busy disk). */
  probeTimeoutMs?: number;
  /** The agent's own CPU and event-loop delay (default: this process, via perf_hooks). */
  load?: AgentLoadMeter;
}

/** The agent's own load over a window, for `agent.cpuPercent` and `agent.eventLoopDelayMs`. */
export interface AgentLoadWindow {
  /** Seconds since the previous reading. */
  windowSeconds: number;
  /** CPU time of this process (all threads) over the window, in % of one core (200 = two cores busy). */
  cpuPercent: number | null;
  /** How late the event loop ran a 10 ms timer, in ms; null when not monitoring (or no sample yet). */
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
}

export interface AgentLoadMeter {
  start(): void;
  stop(): void;
  /** The window since the previous call (or since construction), and a new window begins. */
  read(): AgentLoadWindow;
}

/** Sampling period of the event-loop monitor; Node's histogram records it plus the delay. */
const LOOP_RESOLUTION_MS = 10;

/**
 * This process's CPU (process.cpuUsage, so worker threads count; child processes such as
 * ffmpeg do not) and event-loop delay (perf_hooks.monitorEventLoopDelay). A watchdog can
 * only say the loop is alive; this says how late it runs, which is what a slow MQTT
 * keepalive or request answer comes from.
 */
export function processLoadMeter(): AgentLoadMeter {
  let histogram: IntervalHistogram | null = null;
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  // Node records the whole timer period (resolution + lateness): keep the lateness only.
  const late = (ns: number) => round1(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
  return {
    start() {
      if (histogram) return;
      histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      histogram.enable();
    },
    stop() {
      histogram?.disable();
      histogram = null;
    },
    read() {
      const at = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      const windowMs = at - lastAt;
      lastCpu = process.cpuUsage();
      lastAt = at;
      let eventLoopDelayMs: AgentLoadWindow['eventLoopDelayMs'] = null;
      if (histogram && histogram.count > 0) {
        eventLoopDelayMs = { p50: late(histogram.percentile(50)), p99: late(histogram.percentile(99)), max: late(histogram.max) };
      }
      histogram?.reset();
      return {
        windowSeconds: round1(windowMs / 1000),
        cpuPercent: windowMs > 0 ? round1(((cpu.user + cpu.system) / 1000 / windowMs) * 100) : null,
        eventLoopDelayMs,
      };
    },
  };
}

/**
 * The retained `health` topic, every minute and on every connect. Each host call has its
 * own deadline and the payload carries whatever arrived, so one slow sensor never
 * delays or suppresses the rest.
 */
export class HealthPublisher implements Service {
  readonly name = 'health';
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly load: AgentLoadMeter;

  constructor(private readonly deps: HealthDeps) {
    this.load = deps.load ?? processLoadMeter();
  }

  private readonly onConnect = (): void => void this.tick();

  start(): void {
    this.load.start();
    this.deps.link.on('connect', this.onConnect);
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs ?? 60_000);
    this.timer.unref();
    if (this.deps.link.connected) void this.tick();
  }

  stop(): void {
    this.deps.link.off('connect', this.onConnect);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.load.stop();
  }

  private async tick(): Promise<void> {
    // One at a time: a slow probe must not pile up publications.
    if (this.busy || !this.deps.link.connected) return;
    this.busy = true;
    try {
      await this.publish();
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not publish health');
    } finally {
      this.busy = false;
    }
  }

  async payload(): Promise<Record<string, unknown>> {
    const probe = this.deps.probe ?? systemInformationProbe;
    const ms = this.deps.probeTimeoutMs ?? 3000;
    const timedOut: string[] = [];
    const get = async <T>(name: string, fn: () => Promise<T | null>): Promise<T | null> => {
      try {
        const r = await withDeadline(ms, fn);
        if (r === 'timeout') {
          timedOut.push(name);
          return null;
        }
        return r;
      } catch (err) {
        this.deps.logger.debug({ err, probe: name }, 'host probe failed');
        return null;
      }
    };
    const [cpu, memory, temperature, disks] = await Promise.all([
      get('cpu', () => probe.cpu()),
      get('memory', () => probe.memory()),
      get('temperature', () => probe.temperature()),
      get('disks', () => probe.disks()),
    ]);
    let outbox: number | null = null;
    try {
      outbox = this.deps.outboxSize();
    } catch {
      outbox = null;
    }
    // Each publication covers the time since the previous one (60 s, or less after a connect or rebirth).
    const load = this.load.read();
    return {
      ts: this.deps.now().toISOString(),
      agentVersion: this.deps.agentVersion,
      bootId: this.deps.bootId,
      cpu,
      memory,
      temperature,
      disks,
      agent: {
        rssBytes: process.memoryUsage().rss,
        uptimeSeconds: Math.round(process.uptime()),
        // Extension fields (DESIGN.md: extend, never rename): the agent's own load over `loadWindowSeconds`.
        cpuPercent: load.cpuPercent,
        eventLoopDelayMs: load.eventLoopDelayMs,
        loadWindowSeconds: load.windowSeconds,
      },
      host: { uptimeSeconds: Math.round(hostUptime()) },
      requests: { refusals: this.deps.refusals() },
      outbox: { pending: outbox },
      timedOut,
    };
  }

  async publish(): Promise<void> {
    const body = await this.payload();
    await this.deps.link.publish(topics.health(this.deps.site), JSON.stringify(body), { qos: 1, retain: true });
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
