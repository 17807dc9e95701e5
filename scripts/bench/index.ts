// `npm run bench [-- NAME [options]]`: runs one benchmark, or all of them.
import { benchInventory } from './inventory.js';
import { benchClarity } from './clarity.js';
import { benchRetention } from './retention.js';
import { benchDrain } from './drain.js';

const benches: Record<string, (argv: string[]) => Promise<void>> = {
  inventory: benchInventory,
  clarity: benchClarity,
  retention: benchRetention,
  drain: benchDrain,
};

const [name, ...rest] = process.argv.slice(2);
const selected = name && !name.startsWith('--') ? [name] : Object.keys(benches);
for (const n of selected) {
  const bench = benches[n];
  if (!bench) {
    process.stderr.write(`unknown bench '${n}'; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  await bench(name && !name.startsWith('--') ? rest : process.argv.slice(2));
}
