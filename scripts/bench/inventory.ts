// Inventory interrogation speed: many simulated cameras with the agent's bound of 8 at
// once, against a baseline measured in the same run (the same cameras one at a time).
// Prints ratios, not absolute promises: the machine is shared and noisy.
//   npm run bench -- inventory [--cameras 256]
import type { BenchRow } from './summary.js';
import { performance } from 'node:perf_hooks';
import { mapBounded } from '../../agent/lifecycle/bounded.js';
import { OnvifClient } from '../../drivers/onvif/index.js';
import { startFleet } from '../../test/fakes/onvif-camera/index.js';

export async function benchInventory(argv: string[]): Promise<BenchRow[]> {
  const i = argv.indexOf('--cameras');
  const count = i >= 0 ? Number(argv[i + 1]) : 256;
  const specs = Array.from({ length: count }, (_, n) => ({ id: `cam-${String(n + 1).padStart(3, '0')}` }));
  const fleet = await startFleet(specs, { discovery: false });
  try {
    const clients = fleet.cameras.map((c) => new OnvifClient({ url: c.deviceServiceUrl, username: c.username, password: c.password, timeoutMs: 10_000 }));
    const run = async (subset: OnvifClient[], bound: number) => {
      const t0 = performance.now();
      const results = await mapBounded(subset, bound, (c) => c.interrogate());
      const failed = results.filter((r) => r.status === 'rejected').length;
      return { ms: performance.now() - t0, failed };
    };
    const baselineSize = Math.min(32, count);
    const baseline = await run(clients.slice(0, baselineSize), 1);
    const bounded = await run(clients, 8);
    const perCamBaseline = baseline.ms / baselineSize;
    const perCamBounded = bounded.ms / count;
    process.stdout.write(
      [
        `inventory: ${count} simulated cameras, interrogate() = connect + identity + network + scopes + profiles + URIs + imaging`,
        `  baseline (one at a time, ${baselineSize} cameras): ${perCamBaseline.toFixed(1)} ms/camera`,
        `  agent (8 at once, ${count} cameras):            ${perCamBounded.toFixed(1)} ms/camera, ${(bounded.ms / 1000).toFixed(2)} s in all, ${bounded.failed} failed`,
        `  speed-up vs baseline: ${(perCamBaseline / perCamBounded).toFixed(2)}x`,
        '',
      ].join('\n'),
    );
    return [{ bench: 'inventory', what: `interrogate ${count} cameras, 8 at once`, measured: `${perCamBounded.toFixed(1)} ms/camera`, baseline: `${perCamBaseline.toFixed(1)} ms/camera one at a time`, ratio: perCamBounded / perCamBaseline, goal: '', met: null }];
  } finally {
    await fleet.stop();
  }
}
