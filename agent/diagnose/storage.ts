// Storage checks: the recording root is writable, the space left against the watermarks,
// and the retention forecast (days the disk holds vs the legal floor), from the index only.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../config/index.js';
import type { Database } from '../../drivers/store/index.js';
import { assess, diskConstraints, loadColumns, loadHolds, segmentDetails, totalBytes, type StatFs } from '../retention/service.js';
import { bytesText, check, type Check } from './checks.js';

export function writableCheck(config: AgentConfig): Check {
  const root = config.storage.root;
  const name = 'storage: writable';
  if (!existsSync(root)) {
    let parent = dirname(root);
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    try {
      accessSync(parent, constants.W_OK);
      return check(name, 'warn', `${root} does not exist yet (the agent creates it when it starts recording)`, `start the agent, or create it: mkdir -p ${root}`);
    } catch {
      return check(name, 'fail', `${root} does not exist and ${parent} is not writable`, `create it and give the agent's user write access: sudo mkdir -p ${root} && sudo chown <agent user> ${root}`);
    }
  }
  if (!statSync(root).isDirectory()) return check(name, 'fail', `${root} is not a directory`, `fix storage.root in the config, or move the file at ${root} away`);
  // A hidden probe file, outside the recording layout, removed at once.
  const probe = join(root, `.cea-diagnose-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, 'cea diagnose write probe\n');
    unlinkSync(probe);
    return check(name, 'pass', `${root} is writable`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const advice =
      code === 'EROFS'
        ? 'the filesystem is mounted read-only (often after disk errors): check `dmesg`, the disk health, and remount it'
        : code === 'ENOSPC'
          ? 'the disk is full: run `cea retention plan` and free space'
          : `give the agent's user write access to ${root} (chown/chmod)`;
    return check(name, 'fail', `cannot write in ${root}: ${(err as Error).message}`, advice);
  }
}

export function storageChecks(config: AgentConfig, db: Database | null, nowMs: number, statfs?: StatFs): Check[] {
  const out: Check[] = [];
  const segments = db ? loadColumns(db) : null;
  const recordingBytes = segments ? totalBytes(segments) : 0;
  const disk = diskConstraints(config, recordingBytes, statfs);
  const { deleteAbovePercent, stopAbovePercent } = config.storage;
  // Space: the tightest constraint (quota or filesystem).
  if (disk.length === 0) {
    out.push(check('storage: free space', 'fail', `cannot read the filesystem of ${config.storage.root}`, 'check that the recording disk is mounted'));
  } else {
    const worst = disk.reduce((a, b) => (b.usedBytes / b.capacityBytes > a.usedBytes / a.capacityBytes ? b : a));
    const pct = worst.capacityBytes > 0 ? (worst.usedBytes / worst.capacityBytes) * 100 : 100;
    const detail = `${worst.name}: ${bytesText(Math.max(0, worst.capacityBytes - worst.usedBytes))} free of ${bytesText(worst.capacityBytes)} (${pct.toFixed(1)}% used; rotation above ${deleteAbovePercent}%, recording stops above ${stopAbovePercent}%)`;
    if (pct >= stopAbovePercent) {
      out.push(check('storage: free space', 'fail', detail, 'free space now: run `cea retention plan` to see what rotates; remove non-recording files from the disk, or add a bigger disk'));
    } else if (pct >= deleteAbovePercent) {
      out.push(check('storage: free space', 'warn', detail, 'rotation is deleting under disk pressure: remove non-recording files or add disk space, then check `cea retention plan`'));
    } else out.push(check('storage: free space', 'pass', detail));
  }
  // Forecast, as `cea retention plan` computes it (from the index; no disk walk).
  const name = 'storage: retention forecast';
  if (!db || !segments) {
    out.push(check(name, 'warn', 'no database: no recording history to forecast from', 'start the agent and let it record for a while, then run diagnose again'));
    return out;
  }
  const a = assess({ config, segments, details: segmentDetails(db), holds: loadHolds(db), disk, wallMs: nowMs });
  const f = a.forecast;
  const floor = `floor ${f.floorDays} d + ${f.marginDays} d margin`;
  if (f.daysRetainable === null) {
    out.push(check(name, 'warn', `unknown: no recent recordings to measure the write rate (${floor})`, 'let the agent record for at least 10 minutes, then run diagnose again'));
  } else if (f.daysRetainable < f.floorDays) {
    out.push(
      check(
        name,
        'fail',
        `${f.daysRetainable} days retainable at ${bytesText(f.bytesPerDay)}/day, below the ${f.floorDays}-day floor`,
        'the disk cannot hold the legal floor: add disk space, raise storage.maxBytes, or lower the cameras\' bitrate',
      ),
    );
  } else if (!f.ok) {
    out.push(check(name, 'warn', `${f.daysRetainable} days retainable at ${bytesText(f.bytesPerDay)}/day (${floor}): short of the margin`, 'plan more disk space, or lower the cameras\' bitrate, before the floor is at risk'));
  } else out.push(check(name, 'pass', `${f.daysRetainable} days retainable at ${bytesText(f.bytesPerDay)}/day (${floor})`));
  return out;
}
