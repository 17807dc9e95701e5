// Fault: the platform's broker goes away for a long time while the site keeps producing
// events (cameras flapping → camera.offline / camera.online), then comes back.
//
// The built agent runs as a child process against a real mosquitto with persistence (a
// restart keeps the platform subscriber's persistent session, as a production broker
// does). The run passes when, after the broker returns: the agent never exited, its
// outbox empties, the subscriber has every seq the database allocated, in order, with no
// gap (duplicates allowed: at-least-once), events raised during the outage among them,
// and the agent answers a request.
//
//   node dist/scripts/faults/broker-outage.js --minutes 10
//
// test/faults/broker-outage.test.ts runs the same with a ~45 s outage.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startFleet } from '../../test/fakes/onvif-camera/index.js';
import {
  cameraYaml,
  checkEventStream,
  connectPlatform,
  lookIntoDb,
  RestartableMosquitto,
  sleep,
  spawnAgent,
  tempDir,
  waitUntil,
  writeAgentConfig,
  type AgentProcess,
} from './harness.js';

export interface BrokerOutageResult {
  downMs: number;
  /** Events the database allocated by the end (seq). */
  seq: number;
  /** Events allocated when the outbox had drained (all of them must have arrived). */
  seqAtDrain: number;
  /** Outbox rows waiting when the broker came back. */
  backlogAtReturn: number;
  /** Events with a ts inside the outage window that reached the subscriber. */
  raisedDuringOutage: number;
  delivered: number;
  duplicates: number;
  /** From the broker's return to an empty outbox. */
  drainMs: number;
  ping: Record<string, unknown> | null;
  types: Record<string, number>;
}

export async function runBrokerOutage(opts: { downMs: number; log?: (line: string) => void }): Promise<BrokerOutageResult> {
  const log = opts.log ?? (() => {});
  const site = 'site-outage';
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    const tmp = tempDir('cea-fault-outage-');
    cleanups.push(tmp.remove);
    const broker = await RestartableMosquitto.create();
    cleanups.push(() => broker.close());
    // Offline needs 3 missed probes at 1 s: flaps long enough to be seen both ways.
    const fleet = await startFleet(
      [
        { id: 'cam-1' },
        { id: 'cam-2', flap: { offlineMs: 3500, onlineMs: 2500 } },
        { id: 'cam-3', flap: { offlineMs: 4500, onlineMs: 3000 } },
      ],
      { discovery: false },
    );
    cleanups.push(() => fleet.stop());
    const dbFile = join(tmp.dir, 'agent.db');
    const configFile = join(tmp.dir, 'agent.yaml');
    writeAgentConfig(configFile, {
      site,
      brokerUrl: broker.url,
      database: dbFile,
      storageRoot: join(tmp.dir, 'recordings'),
      cameras: fleet.cameras.map(cameraYaml),
    });

    // The platform is subscribed (persistent session) before the agent says anything.
    const { sub, requester } = await connectPlatform(broker.url, site, cleanups);
    let agent: AgentProcess | null = spawnAgent(configFile, { cwd: tmp.dir });
    cleanups.push(() => agent?.kill());
    await agent.waitForLine(/agent running/);
    await waitUntil('the first events to arrive', () => sub.events.length > 0, 20_000);
    log(`agent up, ${sub.events.length} event(s) delivered; stopping the broker for ${Math.round(opts.downMs / 1000)} s`);

    await broker.stop();
    const downAt = Date.now();
    const before = lookIntoDb(dbFile, site, { quickCheck: false }).seq;
    while (Date.now() - downAt < opts.downMs) {
      await sleep(Math.min(15_000, opts.downMs - (Date.now() - downAt)));
      if (!agent.running()) throw new Error(`the agent exited during the outage:\n${agent.output().slice(-4000)}`);
      const look = lookIntoDb(dbFile, site, { quickCheck: false });
      log(`  outage ${Math.round((Date.now() - downAt) / 1000)} s: seq ${look.seq}, outbox ${look.outbox}`);
    }
    const atReturn = lookIntoDb(dbFile, site);
    if (atReturn.quickCheck !== 'ok') throw new Error(`quick_check during the outage: ${atReturn.quickCheck}`);
    if (atReturn.seq <= before) throw new Error(`no event was raised during the outage (seq stayed ${before}): the run proves nothing`);
    if (atReturn.outbox === 0) throw new Error('the outbox was empty at the end of the outage: events were not kept for the broker');
    const upAt = Date.now();
    await broker.start();
    log(`broker back; ${atReturn.outbox} event(s) waiting in the outbox (seq ${atReturn.seq})`);

    let drainedAt = 0;
    await waitUntil(
      'the outbox to drain after the broker returned',
      () => {
        const look = lookIntoDb(dbFile, site, { quickCheck: false });
        if (look.outbox === 0 && look.seq >= atReturn.seq) {
          drainedAt ||= Date.now();
          return true;
        }
        return false;
      },
      120_000,
      250,
    );
    const ping = await requester.request('ping', {}, 15_000);
    if (!ping || ping.status !== 'ok') throw new Error(`the agent did not answer ping after the outage: ${JSON.stringify(ping)}`);
    // An empty outbox means mosquitto acknowledged every row; the subscriber gets them shortly after.
    const final = lookIntoDb(dbFile, site);
    await waitUntil(`the subscriber to see seq 1..${final.seq}`, () => new Set(sub.events.map((e) => e.seq)).size >= final.seq, 60_000, 100);
    if (!agent.running()) throw new Error(`the agent exited:\n${agent.output().slice(-4000)}`);

    // A clean stop: exit 0 (nothing crashed underneath).
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    agent = null;
    if (exit.code !== 0) throw new Error(`the agent stopped with ${JSON.stringify(exit)}`);
    const last = lookIntoDb(dbFile, site);
    if (last.quickCheck !== 'ok') throw new Error(`quick_check at the end: ${last.quickCheck}`);
    await sleep(500); // the retained/last events of the stop
    const stream = checkEventStream(sub.events, sub.payloads);
    if (stream.distinct < final.seq) throw new Error(`only ${stream.distinct} of ${final.seq} events reached the subscriber`);
    const during = sub.events.filter((e) => {
      const t = Date.parse(e.ts);
      return t >= downAt && t < upAt;
    });
    const types: Record<string, number> = {};
    for (const e of sub.events) types[e.type] = (types[e.type] ?? 0) + 1;
    return {
      downMs: upAt - downAt,
      seq: last.seq,
      seqAtDrain: final.seq,
      backlogAtReturn: atReturn.outbox,
      raisedDuringOutage: new Set(during.map((e) => e.seq)).size,
      delivered: stream.distinct,
      duplicates: stream.duplicates,
      drainMs: drainedAt - upAt,
      ping,
      types,
    };
  } finally {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // cleanup of a run that already failed
      }
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  const t0 = Date.now();
  const result = await runBrokerOutage({ downMs: minutes * 60_000, log: (l) => console.log(`[${new Date().toISOString()}] ${l}`) });
  console.log(JSON.stringify({ ok: true, wallSeconds: Math.round((Date.now() - t0) / 1000), ...result }, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`broker-outage FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  });
}
