// A preload for the agent under soak (`--node-arg=--import=<dist>/scripts/soak/mem-probe.js`
// with CEA_SOAK_PROBE=<file>): every 5 s one JSON line with the main thread's
// process.memoryUsage() breakdown and the event-loop delay of those 5 s, so a memory or
// latency problem can be placed (V8 heap vs Buffers vs native) without touching the agent.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env['CEA_SOAK_PROBE'];
if (file && isMainThread) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = Date.now();
  const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const line = {
      s: Math.round((Date.now() - t0) / 1000),
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
    };
    h.reset();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 5000);
  timer.unref();
}
