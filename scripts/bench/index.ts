// `npm run bench [-- NAME [options]]`: runs one benchmark, or the set, and ends with one
// table of every headline ratio against its in-run baseline (README "Reliability and
// performance" records it with the date and machine).
import { benchInventory } from './inventory.js';
import { benchClarity } from './clarity.js';
import { benchRetention } from './retention.js';
import { benchDrain } from './drain.js';
import { benchHealth } from './health.js';
import { benchConsole } from './console.js';
import { machineLine, summaryTable, type Bench, type BenchRow } from './summary.js';

const benches: Record<string, Bench> = {
  clarity: benchClarity,
  retention: benchRetention,
  outbox: benchDrain,
  inventory: benchInventory,
  health: benchHealth,
  console: benchConsole,
};
// Old name of the outbox bench.
const aliases: Record<string, string> = { drain: 'outbox' };

const [first, ...rest] = process.argv.slice(2);
const named = first !== undefined && !first.startsWith('--');
const selected = named ? [aliases[first] ?? first] : Object.keys(benches);
const rows: BenchRow[] = [];
for (const n of selected) {
  const bench = benches[n];
  if (!bench) {
    process.stderr.write(`unknown bench '${n}'; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  rows.push(...(await bench(named ? rest : process.argv.slice(2))));
}
process.stdout.write(`\n${machineLine()}\n${summaryTable(rows)}\n`);
