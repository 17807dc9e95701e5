import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../agent/config/index.js';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import type { ClarityTracker } from '../../agent/clarity/policy.js';
import { ClarityService } from '../../agent/clarity/service.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { ImageWorkerPool } from '../../drivers/image/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { clarityCommand } from '../../scripts/commands/clarity.js';
import { captureIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/tmp.js';

// An operator re-aims a camera: `cea clarity relearn` makes the agent learn its normal
// picture again, whether the agent is running or not.
describe('clarity relearn on operator request', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('forgets the learned baseline at the next round', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const configFile = join(tmp.dir, 'agent.yaml');
    writeFileSync(
      configFile,
      [
        'site: { id: site-rl }',
        'profile: liaoning-2008',
        'mqtt: { url: "mqtt://127.0.0.1:1" }',
        `database: ${join(tmp.dir, 'agent.db')}`,
        'cameras:',
        '  - { id: gate, onvif: { url: "http://127.0.0.1:9/onvif/device_service" }, location: { kind: street, description: Gate } }',
        '',
      ].join('\n'),
    );
    const loaded = loadConfigFile(configFile, { env: {}, cwd: tmp.dir });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const { db } = openStore(loaded.config.database, { migrations, now: () => new Date() });
    cleanups.push(() => void db.close());
    const outbox = new Outbox({ db, site: 'site-rl', now: () => new Date(), newId: () => crypto.randomUUID() });
    const recorder = new EventRecorder(db, outbox, new EventBus(silentLogger()));
    const pool = new ImageWorkerPool<FrameAnalysis>({ analyser: new URL('../../agent/clarity/metrics.ts', import.meta.url), size: 1 });
    cleanups.push(() => pool.close());
    const jpeg = readFileSync(new URL('../fixtures/clarity/sidewalk__ok.jpg', import.meta.url));
    const service = new ClarityService({
      db,
      recorder,
      logger: silentLogger(),
      now: () => new Date(),
      cameras: loaded.config.cameras,
      intervalMs: 3_600_000,
      snapshot: async () => jpeg,
      analyser: pool,
      policy: { baselineSamples: 2 },
    });
    const tracker = () => JSON.parse(db.prepare("SELECT tracker FROM clarity_state WHERE camera_id = 'gate'").pluck().get() as string) as ClarityTracker;
    for (let i = 0; i < 3; i++) await service.round();
    expect(tracker().modes.day.baseline).not.toBeNull();

    const cap = captureIo(tmp.dir);
    expect(await clarityCommand.run(['relearn', 'gate', '--config', configFile, '--json'], cap.io)).toBe(0);
    expect(JSON.parse(cap.stdout())).toEqual({ relearn: ['gate'] });
    await service.round();
    expect(tracker().modes.day.baseline).toBeNull();
    expect(db.prepare("SELECT count(*) FROM meta WHERE key LIKE 'clarity.relearn:%'").pluck().get()).toBe(0);
    service.stop();
  });
});
