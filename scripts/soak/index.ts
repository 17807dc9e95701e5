// `npm run soak [-- --cameras 256 --minutes 10 --broker mosquitto|aedes --seed N --json]`
// Exit 0 when every event the agent produced reached the subscriber exactly once and in
// order and nothing was left running; 1 otherwise; 2 on a usage error.
import { parseArgs } from 'node:util';
import { soakReport } from './report.js';
import { runSoak } from './run.js';

const USAGE =
  'usage: npm run soak -- [--cameras N] [--minutes M | --seconds S] [--broker mosquitto|aedes] [--seed N] ' +
  '[--interval SECONDS] [--processes N] [--node-arg FLAG]... [--agent-env NAME=VALUE]... [--keep] [--json]';

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function int(v: string | undefined, name: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) fail(`--${name} must be an integer in [${lo}, ${hi}]`);
  return n;
}

let values: Record<string, string | boolean | string[] | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      cameras: { type: 'string' },
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      broker: { type: 'string' },
      seed: { type: 'string' },
      interval: { type: 'string' },
      processes: { type: 'string' },
      json: { type: 'boolean' },
      // Profiling the agent under load, e.g. --node-arg=--cpu-prof --node-arg=--cpu-prof-dir=/tmp/prof --keep
      'node-arg': { type: 'string', multiple: true },
      'agent-env': { type: 'string', multiple: true },
      keep: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
const broker = (values.broker as string | undefined) ?? 'mosquitto';
if (broker !== 'mosquitto' && broker !== 'aedes') fail('--broker must be mosquitto or aedes');
const cameras = int(values.cameras as string | undefined, 'cameras', 1, 1024) ?? 256;
const minutes = int(values.minutes as string | undefined, 'minutes', 1, 24 * 60);
const seconds = int(values.seconds as string | undefined, 'seconds', 10, 24 * 3600);
const seed = int(values.seed as string | undefined, 'seed', 0, 2 ** 32 - 1) ?? Math.floor(Math.random() * 2 ** 32);
const interval = int(values.interval as string | undefined, 'interval', 1, 3600);
const processes = int(values.processes as string | undefined, 'processes', 1, 64);
const nodeArgs = (values['node-arg'] as string[] | undefined) ?? [];
const agentEnv: Record<string, string> = {};
for (const kv of (values['agent-env'] as string[] | undefined) ?? []) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(kv);
  if (!m) fail(`--agent-env must be NAME=VALUE, not ${kv}`);
  agentEnv[m[1]!] = m[2]!;
}
const durationMs = seconds !== undefined ? seconds * 1000 : (minutes ?? 10) * 60_000;

process.stderr.write(`soak: seed ${seed} (repeat with --seed ${seed})\n`);
const result = await runSoak({
  cameras,
  durationMs,
  seed,
  broker,
  ...(interval !== undefined ? { monitorIntervalSeconds: interval } : {}),
  ...(processes !== undefined ? { simulatorProcesses: processes } : {}),
  agentNodeArgs: nodeArgs,
  agentEnv,
  keepDir: values.keep === true,
  log: (line) => process.stderr.write(`${line}\n`),
}).catch((err: Error) => {
  process.stderr.write(`soak: could not run: ${err.message}\n`);
  process.exit(1);
});

if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else process.stdout.write(`${soakReport(result)}\n`);
process.exitCode = result.ok ? 0 : 1;
