// The soak: the built agent against many simulated cameras and a real broker for a while,
// with cameras going offline, blurring and changing their configuration at random
// (seeded), while a platform-side subscriber counts every event. Then the chaos stops,
// the outbox drains, and what the agent produced is compared with what arrived.
// `npm run soak` (scripts/soak/index.ts) prints the result; the integration test
// (test/integration/soak.test.ts) runs a short one and asserts correctness only.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startMosquitto, type BenchMosquitto } from '../bench/mosquitto.js';
import { AgentDatabase, type AgentCounts } from './agent-db.js';
import { spawnAgent, writeAgentConfig, type AgentProcess } from './agent-process.js';
import { planChaos, type ChaosAction, type ChaosPlan } from './chaos.js';
import { ProcSampler, readMachineCpu, round1 } from './proc-stats.js';
import type { SimulatorOp } from './simulator-protocol.js';
import { startSimulators, type SimulatorPool } from './simulators.js';
import { SiteSubscriber, type HealthSample } from './subscriber.js';

export const SOAK_SITE = 'soak-site';

export interface SoakOptions {
  cameras: number;
  durationMs: number;
  seed: number;
  broker: 'mosquitto' | 'aedes';
  /** The agent's monitor.intervalSeconds (probes and clarity samples). Default 10, the production default. */
  monitorIntervalSeconds?: number;
  /** Periodic re-interrogation (behind ONVIF configuration events). Default 300, the production default. */
  interrogateEverySeconds?: number;
  /** Simulator processes. Default one per 64 cameras, at least 2. */
  simulatorProcesses?: number;
  /** Configuration changes happen in the first part of the chaos only (a report needs a quiet minute). Default: the first half. */
  changeWindowMs?: number;
  /** Longest wait for the outbox to drain and change bursts to be reported after the chaos. Default 150 s. */
  settleTimeoutMs?: number;
  /** Keep the agent's directory (config, database) for inspection; its path is in the result. */
  keepDir?: boolean;
  /** Extra node flags for the agent (profiling: `--cpu-prof`, `--heapsnapshot-signal=SIGUSR2`). */
  agentNodeArgs?: string[];
  /** Extra environment for the agent (e.g. `MALLOC_ARENA_MAX=2`, as systemd/cea.service sets it). */
  agentEnv?: Record<string, string>;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface ExpectationResult {
  expected: number;
  seen: number;
  missing: string[];
}

export interface SoakResult {
  seed: number;
  cameras: number;
  broker: 'mosquitto' | 'aedes';
  monitorIntervalSeconds: number;
  simulatorProcesses: number;
  chaosSeconds: number;
  startedAt: string;
  wallSeconds: number;
  /** The agent's directory (removed afterwards unless keepDir). */
  dir: string;
  warmup: { seconds: number; interrogated: number };
  machine: { cores: number; loadavgStart: number[]; loadavgEnd: number[]; busyPercent: number | null };
  agent: {
    pid: number;
    cpuMeanPercent: number | null;
    cpuP95Percent: number | null;
    rssMaxBytes: number | null;
    rssEndBytes: number | null;
    /** Worst p99 / max of the periodic health windows (60 s) published during the chaos (agent.eventLoopDelayMs). */
    eventLoopP99Ms: number | null;
    eventLoopMaxMs: number | null;
    health: HealthSample[];
    logWarnings: number;
    logErrors: number;
    /** Lines on stdout/stderr that are not the agent's JSON log (Node's own warnings, crashes). */
    logOther: number;
    lastProblems: string[];
    stop: { code: number | null; signal: string | null; ms: number };
  };
  simulators: { pids: number[]; cpuMeanPercent: number | null };
  soakProcessCpuPercent: number;
  events: {
    /** The agent's own count: its last seq when drained (fresh database). */
    produced: number;
    /** Distinct ids received by the subscriber with seq <= produced. */
    received: number;
    missing: number[];
    duplicates: number;
    outOfOrder: number;
    conflicts: number;
    malformed: number;
    /** Still in the agent's outbox when it was stopped. */
    outboxAtStop: number;
    /** Published before the subscriber could connect (embedded broker only: it starts with the agent). */
    beforeSubscribe: number;
    producedDuringShutdown: number;
    byType: Record<string, number>;
    drained: boolean;
    settleSeconds: number;
  };
  clarity: { samples: number; samplesPerSecond: number; expectedPerSecond: number };
  chaos: {
    actions: number;
    failed: number;
    /** What the failed switches said (first 20). */
    failures: string[];
    offline: ExpectationResult;
    blur: ExpectationResult;
    config: ExpectationResult & { reports: number };
  };
  ping: { ok: boolean | null; ms: number | null; note?: string };
  processesLeft: number[];
  /** Correctness: every produced event arrived exactly once, in order, nothing left behind. */
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => undefined);
  const interval = opts.monitorIntervalSeconds ?? 10;
  const processes = opts.simulatorProcesses ?? Math.max(2, Math.ceil(opts.cameras / 64));
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadavgStart = loadavg().map(round1);
  const dir = mkdtempSync(join(tmpdir(), 'cea-soak-'));
  const ids = Array.from({ length: opts.cameras }, (_, i) => `cam-${String(i + 1).padStart(3, '0')}`);
  const plan = planChaos({
    seed: opts.seed,
    cameraIds: ids,
    durationMs: opts.durationMs,
    monitorIntervalMs: interval * 1000,
    changeWindowMs: opts.changeWindowMs ?? opts.durationMs / 2,
  });
  log(
    `soak: seed ${opts.seed}, ${opts.cameras} cameras in ${processes} simulator processes, ${opts.broker}, ` +
      `${Math.round(opts.durationMs / 1000)} s of chaos (${plan.offline.length} go offline, ${plan.blurred.length} blur, ${plan.changed.length} change config)`,
  );

  let mosquitto: BenchMosquitto | null = null;
  let pool: SimulatorPool | null = null;
  let agent: AgentProcess | null = null;
  let sub: SiteSubscriber | null = null;
  let db: AgentDatabase | null = null;
  let sampler: ProcSampler | null = null;
  try {
    // 1. Broker, cameras, and (for an outside broker) the subscriber before the agent, so no event can pass unseen.
    let brokerUrl: string;
    let brokerCfg: Parameters<typeof writeAgentConfig>[0]['broker'];
    if (opts.broker === 'mosquitto') {
      // As README advises for a platform broker: never drop queued QoS 1 messages for a slow subscriber.
      mosquitto = await startMosquitto(await freePort(), ['max_queued_messages 0']);
      brokerUrl = mosquitto.url;
      brokerCfg = { kind: 'mosquitto', url: brokerUrl };
    } else {
      const port = await freePort();
      brokerUrl = `mqtt://127.0.0.1:${port}`;
      brokerCfg = { kind: 'aedes', port };
    }
    pool = await startSimulators(ids, processes);
    const protocolVersion = opts.broker === 'aedes' ? 4 : 5;
    if (opts.broker === 'mosquitto') sub = await SiteSubscriber.connect(brokerUrl, SOAK_SITE, { protocolVersion, deadlineMs: Date.now() + 10_000 });

    // 2. The agent.
    const configFile = writeAgentConfig({
      dir,
      site: SOAK_SITE,
      cameras: pool.cameras,
      monitorIntervalSeconds: interval,
      interrogateEverySeconds: opts.interrogateEverySeconds ?? 300,
      broker: brokerCfg,
      consolePort: await freePort(),
    });
    agent = spawnAgent(configFile, dir, opts.agentNodeArgs ?? [], opts.agentEnv ?? {});
    const a = agent;
    const p = pool;
    sampler = new ProcSampler(() => [a.pid, ...p.pids]);
    sampler.start();
    // The embedded broker exists only once the agent runs: connect the moment it listens.
    if (!sub) {
      const gone = () => a.child.exitCode !== null || a.child.signalCode !== null;
      const connecting = SiteSubscriber.connect(brokerUrl, SOAK_SITE, { protocolVersion, deadlineMs: Date.now() + 60_000, giveUp: gone });
      connecting.catch(() => undefined);
      // An agent that dies at start (e.g. a config error) says why, instead of a minute of connection attempts.
      sub = await Promise.race([connecting, agent.running.then(() => connecting)]);
    }
    await withTimeout(agent.running, 60_000, 'the agent did not log "agent running" within 60 s');
    db = new AgentDatabase(join(dir, 'agent.db'), SOAK_SITE);
    log(`soak: agent running (pid ${agent.pid}); waiting for every camera to be interrogated`);

    // 3. Warm-up: every camera interrogated once, so a configuration change has something to differ from.
    const warmStart = performance.now();
    const warmDeadline = warmStart + 30_000 + opts.cameras * 250;
    while (db.counts().interrogated < opts.cameras && performance.now() < warmDeadline) await sleep(500);
    await sleep(2000); // the ONVIF event subscriptions are set up alongside
    const interrogated = db.counts().interrogated;
    const warmup = { seconds: round1((performance.now() - warmStart) / 1000), interrogated };
    log(`soak: ${interrogated}/${opts.cameras} cameras interrogated after ${warmup.seconds} s; chaos begins`);

    // 4. Chaos.
    const chaosStart = performance.now();
    const cpuStart = readMachineCpu();
    const soakCpuStart = process.cpuUsage();
    const before = db.counts();
    const progress = setInterval(() => {
      const c = db!.counts();
      const s = sampler!.summary([a.pid], chaosStart, performance.now());
      log(
        `soak: ${Math.round((performance.now() - chaosStart) / 1000)} s: ${c.lastSeq} events produced, ${sub!.accounting().unique} received, ` +
          `outbox ${c.outbox}, agent cpu ${s.meanPercent ?? '?'} %, rss ${mb(s.lastRssBytes)} MB`,
      );
    }, 30_000);
    progress.unref();
    const chaos = await runChaos(plan, pool, opts.durationMs, log);
    clearInterval(progress);
    const chaosEnd = performance.now();
    const cpuEnd = readMachineCpu();
    const soakCpu = process.cpuUsage(soakCpuStart);
    const afterChaos = db.counts();
    await restoreAll(plan, pool);

    // 5. Settle: outbox empty, change bursts reported, nothing new for a while, everything received.
    log('soak: chaos over; waiting for the outbox to drain and change reports to go out');
    const settleStart = performance.now();
    const settleDeadline = settleStart + (opts.settleTimeoutMs ?? 150_000);
    // Nothing new for a probe interval: the last transitions (camera.online, clarity.cleared) are out.
    const quietMs = interval * 1000 + 1000;
    let counts: AgentCounts = db.counts();
    let lastSeq = -1;
    let stableSince = performance.now();
    let drained = false;
    for (;;) {
      counts = db.counts();
      if (counts.lastSeq !== lastSeq) {
        lastSeq = counts.lastSeq;
        stableSince = performance.now();
      }
      const from = firstObservableSeq(opts.broker, sub);
      const caughtUp = sub.missing(from, counts.lastSeq).length === 0;
      if (counts.outbox === 0 && counts.pendingChanges === 0 && caughtUp && performance.now() - stableSince >= quietMs) {
        drained = true;
        break;
      }
      if (performance.now() > settleDeadline) break;
      await sleep(1000);
    }
    const settleSeconds = round1((performance.now() - settleStart) / 1000);

    // 6. Does it still answer? (Only an authenticated client may publish on the embedded broker.)
    let ping: SoakResult['ping'];
    if (opts.broker === 'mosquitto') {
      const t = performance.now();
      try {
        const answer = await sub.request('ping', {}, 10_000);
        ping = { ok: answer.status === 'ok', ms: Math.round(performance.now() - t) };
      } catch (err) {
        ping = { ok: false, ms: null, note: (err as Error).message };
      }
    } else {
      ping = { ok: null, ms: null, note: 'not asked: the embedded broker lets only the agent publish' };
    }

    // 7. Stop the agent (as systemd would) and account.
    const agentSummary = sampler.summary([agent.pid], chaosStart, chaosEnd);
    const simSummary = sampler.summary(pool.pids, chaosStart, chaosEnd);
    const problems = agent.problems();
    const stop = await agent.stop(10_000);
    sampler.stop();
    const afterStop = db.counts();
    db.close();
    db = null;
    const acc = sub.accounting();
    const from = firstObservableSeq(opts.broker, sub);
    const produced = counts.lastSeq;
    const missing = sub.missing(from, produced);
    const received = sub.events.filter((e) => e.seq >= from && e.seq <= produced).length;
    const byType: Record<string, number> = {};
    for (const e of sub.events) byType[e.type] = (byType[e.type] ?? 0) + 1;

    const chaosSeconds = (chaosEnd - chaosStart) / 1000;
    const health = sub.health;
    const inChaos = health.filter((h) => h.receivedAtMs > chaosStart + 5000 && h.receivedAtMs <= chaosEnd + 20_000 && h.eventLoopDelayMs);
    const expectation = (cameras: string[], seen: (c: string) => boolean): ExpectationResult => {
      const miss = cameras.filter((c) => !seen(c));
      return { expected: cameras.length, seen: cameras.length - miss.length, missing: miss };
    };
    const offlineSeen = new Set(sub.events.filter((e) => e.type === 'camera.offline').map((e) => e.camera));
    const faultSeen = new Set(sub.events.filter((e) => e.type === 'clarity.fault').map((e) => e.camera));
    const reports = sub.events.filter((e) => e.type === 'config.changed');
    const changedSeen = new Set(reports.flatMap((e) => e.cameras ?? []));

    const sims = pool.pids;
    await pool.stop();
    const agentPid = agent.pid;
    const result: SoakResult = {
      seed: opts.seed,
      cameras: opts.cameras,
      broker: opts.broker,
      monitorIntervalSeconds: interval,
      simulatorProcesses: sims.length,
      chaosSeconds: round1(chaosSeconds),
      startedAt,
      wallSeconds: 0,
      dir,
      warmup,
      machine: {
        cores: cpus().length,
        loadavgStart,
        loadavgEnd: loadavg().map(round1),
        busyPercent: cpuStart && cpuEnd && cpuEnd.total > cpuStart.total ? round1(((cpuEnd.busy - cpuStart.busy) / (cpuEnd.total - cpuStart.total)) * 100) : null,
      },
      agent: {
        pid: agentPid,
        cpuMeanPercent: agentSummary.meanPercent,
        cpuP95Percent: agentSummary.p95Percent,
        rssMaxBytes: agentSummary.maxRssBytes,
        rssEndBytes: agentSummary.lastRssBytes,
        eventLoopP99Ms: inChaos.length ? Math.max(...inChaos.map((h) => h.eventLoopDelayMs!.p99)) : null,
        eventLoopMaxMs: inChaos.length ? Math.max(...inChaos.map((h) => h.eventLoopDelayMs!.max)) : null,
        health,
        logWarnings: problems.warn,
        logErrors: problems.error,
        logOther: problems.other,
        lastProblems: problems.last,
        stop: { code: stop.code, signal: stop.signal, ms: stop.ms },
      },
      simulators: { pids: sims, cpuMeanPercent: simSummary.meanPercent },
      soakProcessCpuPercent: round1(((soakCpu.user + soakCpu.system) / 1e6 / chaosSeconds) * 100),
      events: {
        produced: produced - (from - 1),
        received,
        missing: missing.slice(0, 50),
        duplicates: acc.duplicates,
        outOfOrder: acc.outOfOrder,
        conflicts: acc.conflicts,
        malformed: acc.malformed,
        outboxAtStop: afterStop.outbox,
        beforeSubscribe: from - 1,
        producedDuringShutdown: afterStop.lastSeq - produced,
        byType,
        drained,
        settleSeconds,
      },
      clarity: {
        samples: afterChaos.claritySamples - before.claritySamples,
        samplesPerSecond: round1((afterChaos.claritySamples - before.claritySamples) / chaosSeconds),
        expectedPerSecond: round1(opts.cameras / interval),
      },
      chaos: {
        actions: chaos.done + chaos.failures.length,
        failed: chaos.failures.length,
        failures: chaos.failures.slice(0, 20),
        offline: expectation(plan.offline, (c) => offlineSeen.has(c)),
        blur: expectation(plan.blurred, (c) => faultSeen.has(c)),
        config: { ...expectation(plan.changed, (c) => changedSeen.has(c)), reports: reports.length },
      },
      ping,
      processesLeft: [agentPid, ...sims].filter(alive),
      ok: false,
    };
    const e = result.events;
    result.ok =
      drained &&
      e.produced === e.received &&
      missing.length === 0 &&
      e.duplicates === 0 &&
      e.outOfOrder === 0 &&
      e.conflicts === 0 &&
      e.malformed === 0 &&
      result.processesLeft.length === 0;
    result.wallSeconds = round1((performance.now() - started) / 1000);
    return result;
  } finally {
    sampler?.stop();
    db?.close();
    if (agent) await agent.stop(5000);
    await sub?.close();
    await pool?.stop();
    await mosquitto?.stop();
    if (opts.keepDir) log(`soak: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The embedded broker starts with the agent: events before the subscriber got in cannot be seen, and are said so. */
function firstObservableSeq(broker: SoakOptions['broker'], sub: SiteSubscriber): number {
  if (broker === 'mosquitto') return 1;
  return sub.accounting().lowestSeq ?? 1;
}

async function runChaos(plan: ChaosPlan, pool: SimulatorPool, durationMs: number, log: (l: string) => void): Promise<{ done: number; failures: string[] }> {
  const t0 = performance.now();
  let done = 0;
  const failures: string[] = [];
  const inFlight: Promise<void>[] = [];
  for (const action of plan.actions) {
    const wait = t0 + action.atMs - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      pool.command(action.camera, toOp(action)).then(
        () => void (done += 1),
        (err: Error) => {
          failures.push(`${action.kind} ${action.camera}: ${err.message}`);
          log(`soak: ${action.kind} ${action.camera} failed: ${err.message}`);
        },
      ),
    );
  }
  const rest = t0 + durationMs - performance.now();
  if (rest > 0) await sleep(rest);
  await Promise.all(inFlight);
  return { done, failures };
}

/** Every episode of the plan ends inside the chaos; this is the belt to those braces. */
async function restoreAll(plan: ChaosPlan, pool: SimulatorPool): Promise<void> {
  await Promise.allSettled([
    ...plan.offline.map((c) => pool.command(c, { op: 'offline', on: false })),
    ...plan.blurred.map((c) => pool.command(c, { op: 'condition', condition: 'ok' })),
  ]);
}

function toOp(a: ChaosAction): SimulatorOp {
  switch (a.kind) {
    case 'offline':
      return { op: 'offline', on: true };
    case 'online':
      return { op: 'offline', on: false };
    case 'blur':
      return { op: 'condition', condition: 'blur' };
    case 'clear':
      return { op: 'condition', condition: 'ok' };
    case 'config':
      return { op: 'config', patch: a.patch ?? {} };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}

export function mb(bytes: number | null): string {
  return bytes === null ? '?' : (bytes / 2 ** 20).toFixed(1);
}
