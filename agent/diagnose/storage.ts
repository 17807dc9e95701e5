// Storage checks: the recording root is writable, the space left against the watermarks,
// and the retention forecast (days the disk holds vs the legal floor), from the index only.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../config/index.js';
import type { Database } from '../../drivers/store/index.js';
import { assess, diskConstraints, loadColumns, loadHolds, segmentDetails, totalBytes, type StatFs } from '../retention/service.js';
import { said, type Check } from './checks.js';

export function writableCheck(config: AgentConfig): Check {
  const root = config.storage.root;
  const name = 'storage: writable';
  if (!existsSync(root)) {
    let parent = dirname(root);
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    try {
      accessSync(parent, constants.W_OK);
      return said(name, 'warn', 'storage.missing', { root });
    } catch {
      return said(name, 'fail', 'storage.missingUnwritable', { root, parent });
    }
  }
  if (!statSync(root).isDirectory()) return said(name, 'fail', 'storage.notDirectory', { root });
  // A hidden probe file, outside the recording layout, removed at once.
  const probe = join(root, `.cea-diagnose-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, 'cea diagnose write probe\n');
    unlinkSync(probe);
    return said(name, 'pass', 'storage.writable', { root });
  } catch (err) {
    // The advice depends on why: read-only filesystem, full disk, or permissions.
    const errno = (err as NodeJS.ErrnoException).code ?? '';
    return said(name, 'fail', 'storage.unwritable', { root, message: (err as Error).message, errno });
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
    out.push(said('storage: free space', 'fail', 'storage.noFilesystem', { root: config.storage.root }));
  } else {
    const worst = disk.reduce((a, b) => (b.usedBytes / b.capacityBytes > a.usedBytes / a.capacityBytes ? b : a));
    const pct = worst.capacityBytes > 0 ? (worst.usedBytes / worst.capacityBytes) * 100 : 100;
    const p = {
      disk: worst.name,
      freeBytes: Math.max(0, worst.capacityBytes - worst.usedBytes),
      capacityBytes: worst.capacityBytes,
      usedPercent: pct,
      deleteAbovePercent,
      stopAbovePercent,
    };
    if (pct >= stopAbovePercent) out.push(said('storage: free space', 'fail', 'storage.space.stopping', p));
    else if (pct >= deleteAbovePercent) out.push(said('storage: free space', 'warn', 'storage.space.rotating', p));
    else out.push(said('storage: free space', 'pass', 'storage.space.ok', p));
  }
  // Forecast, as `cea retention plan` computes it (from the index; no disk walk).
  const name = 'storage: retention forecast';
  if (!db || !segments) {
    out.push(said(name, 'warn', 'forecast.noDatabase'));
    return out;
  }
  const a = assess({ config, segments, details: segmentDetails(db), holds: loadHolds(db), disk, wallMs: nowMs });
  const f = a.forecast;
  if (f.daysRetainable === null) {
    out.push(said(name, 'warn', 'forecast.unknown', { floorDays: f.floorDays, marginDays: f.marginDays }));
    return out;
  }
  const p = { days: f.daysRetainable, bytesPerDay: f.bytesPerDay, floorDays: f.floorDays, marginDays: f.marginDays };
  if (f.daysRetainable < f.floorDays) out.push(said(name, 'fail', 'forecast.belowFloor', p));
  else if (!f.ok) out.push(said(name, 'warn', 'forecast.short', p));
  else out.push(said(name, 'pass', 'forecast.ok', p));
  return out;
}
