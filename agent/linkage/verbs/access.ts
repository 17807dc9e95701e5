// Platform verbs that touch image information or what protects it (DESIGN.md "MQTT
// linkage contract"): snapshot, recordings.query, recordings.export, hold.add,
// hold.release, report.ack, register.query. Every access is written to the access
// register BEFORE it happens, refusals too (Liaoning Art. 14 (iv), 18); an export needs
// two staff, an approval document, a law-enforcement document and a purpose (Art. 18).
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, copyFile, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../../drivers/log/logger.js';
import type { Database } from '../../../drivers/store/index.js';
import { AccessRegister, accessEntryJson, platformRequester, type NewAccessEntry } from '../../access/register.js';
import type { CameraConfig } from '../../config/types.js';
import type { EventRecorder } from '../../events/recorder.js';
import type { Segment, SegmentStore } from '../../recording/segment-store.js';
import { HoldError, holdJson, type HoldKind, type HoldStore } from '../../retention/holds.js';
import { VerbError, type RequestContext, type VerbErrorCode, type VerbHandler } from '../requests/verb.js';

export const SNAPSHOT_MAX_BYTES = 4 * 1024 * 1024;
const CAMERA_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const REGISTER_QUERY_LIMIT = 1000;
/** Keeps one answer a reasonable MQTT message (~100 bytes a segment); the rest by narrowing the range. */
const SEGMENTS_QUERY_LIMIT = 5000;

export interface AccessVerbDeps {
  db: Database;
  recorder: EventRecorder;
  cameras: readonly CameraConfig[];
  segments: SegmentStore;
  holds: HoldStore;
  /** Where exports are copied to, `<exportsRoot>/<exportId>/`; keep it outside storageRoot. */
  exportsRoot: string;
  storageRoot: string;
  /** One JPEG from the camera (the ONVIF snapshot URI, or a frame of its stream). */
  snapshot: (camera: CameraConfig) => Promise<Uint8Array>;
  /** ChangeService.acknowledge + publicReport; null when there is no such report. */
  acknowledgeReport: (reportId: string, receiptNo: string) => Record<string, unknown> | null;
  now: () => Date;
  vitalHoldDays: number;
  logger: Logger;
  /** Shared with other writers of the register in the process (live view); made here when absent. */
  register?: AccessRegister;
  newId?: () => string;
  snapshotMaxBytes?: number;
}

// Lenient shapes on purpose: a request that lacks what the law asks for must reach run()
// so that its refusal is registered; only shape and size are checked here.
const text = (max: number) => z.string().max(max);
const time = z.string().min(1).max(64);
const staffList = z.array(text(128)).max(32);

const snapshotArgs = z.object({
  camera: text(128),
  requester: z.object({ staff: staffList.default([]), purpose: text(2000).optional() }).default({ staff: [] }),
});
const queryArgs = z.object({ camera: text(128), from: time, to: time });
const exportArgs = z.object({
  camera: text(128),
  from: time,
  to: time,
  staff: staffList.default([]),
  approvalDoc: text(500).optional(),
  lawEnforcementDoc: text(500).optional(),
  purpose: text(2000).optional(),
});
const holdAddArgs = z.object({ camera: text(128), from: time, to: time, kind: z.enum(['vital', 'legal']), reason: text(2000) });
const holdReleaseArgs = z.object({ holdId: text(128), reason: text(2000) });
const reportAckArgs = z.object({ reportId: text(128).min(1), receiptNo: text(200).min(1) });
const registerQueryArgs = z.object({ from: time.optional(), to: time.optional(), camera: text(128).optional() });

function requesterOf(ctx: RequestContext): string {
  return platformRequester(ctx.keyId);
}

function parseTime(name: string, value: string): number {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) throw new VerbError('bad_request', `${name} must be an RFC 3339 date-time, not "${value}"`);
  return t;
}

function blank(v: string | undefined): boolean {
  return v === undefined || v.trim() === '';
}

/** rel must be a plain relative path that resolves inside root; returns the absolute path. */
export function pathUnder(root: string, rel: string): string {
  const parts = rel.split(/[\\/]/);
  if (rel === '' || isAbsolute(rel) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new VerbError('bad_request', `"${rel}" is not a relative path inside the store`);
  }
  const abs = resolve(root, rel);
  const back = relative(resolve(root), abs);
  if (back === '' || back.startsWith('..') || isAbsolute(back)) throw new VerbError('bad_request', `"${rel}" leaves ${root}`);
  return abs;
}

async function fileSha256(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function holdVerbError(err: unknown): unknown {
  if (!(err instanceof HoldError)) return err;
  // VerbError has no `conflict`: a second release is a request the agent cannot honour as asked.
  const code: VerbErrorCode = err.code === 'conflict' ? 'bad_request' : err.code;
  return new VerbError(code, err.message);
}

export interface ManifestEntry {
  file: string;
  sha256: string;
  bytes: number;
}

export function accessVerbs(deps: AccessVerbDeps): VerbHandler[] {
  const register = deps.register ?? new AccessRegister({ db: deps.db, recorder: deps.recorder, now: deps.now });
  const newId = deps.newId ?? randomUUID;
  const maxSnapshot = deps.snapshotMaxBytes ?? SNAPSHOT_MAX_BYTES;
  const byId = new Map(deps.cameras.map((c) => [c.id, c]));

  type Attempt = Omit<NewAccessEntry, 'result'>;

  /** Registers the refusal, then hands back the error to throw. */
  function refuse(attempt: Attempt, err: VerbError): VerbError {
    register.record({ ...attempt, result: `refused:${err.code}`, detail: { ...attempt.detail, reason: err.message } });
    return err;
  }

  /** Throws (registered) unless `id` is a configured camera that may be seen. */
  function cameraFor(id: string, attempt: Attempt): CameraConfig {
    if (!CAMERA_ID.test(id)) throw refuse(attempt, new VerbError('bad_request', `"${id}" is not a camera id`));
    const camera = byId.get(id);
    if (!camera) throw refuse(attempt, new VerbError('not_found', `no camera "${id}" at this site`));
    if (camera.prohibited) {
      throw refuse(attempt, new VerbError('forbidden', `camera "${id}" is in a prohibited place (${camera.location.kind}): its images are never served (Liaoning Art. 9)`));
    }
    return camera;
  }

  /** from/to of an attempt; a malformed range is registered as refused too. */
  function rangeOf(from: string, to: string, attempt: Attempt): { fromMs: number; toMs: number } {
    try {
      const fromMs = parseTime('from', from);
      const toMs = parseTime('to', to);
      if (fromMs >= toMs) throw new VerbError('bad_request', 'from must be before to');
      return { fromMs, toMs };
    } catch (err) {
      throw err instanceof VerbError ? refuse(attempt, err) : err;
    }
  }

  const snapshot: VerbHandler<z.infer<typeof snapshotArgs>> = {
    verb: 'snapshot',
    args: snapshotArgs,
    async run(args, ctx) {
      const staff = [...new Set(args.requester.staff.map((s) => s.trim()).filter(Boolean))];
      const attempt: Attempt = {
        verb: 'snapshot',
        cameras: [args.camera],
        fromMs: null,
        toMs: null,
        requester: requesterOf(ctx),
        staff,
        approvalDoc: null,
        lawDoc: null,
        purpose: args.requester.purpose?.trim() || null,
        detail: { requestId: ctx.id },
      };
      const camera = cameraFor(args.camera, attempt);
      if (staff.length === 0 || attempt.purpose === null) {
        throw refuse(attempt, new VerbError('forbidden', 'a snapshot needs the requesting staff and a purpose, for the access register (Liaoning Art. 14 (iv))'));
      }
      // On record before a single byte is fetched: a failed fetch stays registered.
      register.record({ ...attempt, result: 'granted' });
      let bytes: Uint8Array;
      try {
        bytes = await deps.snapshot(camera);
      } catch (err) {
        deps.logger.warn({ camera: camera.id, err }, 'snapshot for the platform failed');
        throw new VerbError('internal', `camera "${camera.id}" gave no snapshot: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (bytes.length > maxSnapshot) throw new VerbError('internal', `the snapshot of "${camera.id}" is ${bytes.length} bytes, over the ${maxSnapshot}-byte cap`);
      if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
        throw new VerbError('internal', `camera "${camera.id}" sent something that is not a JPEG`);
      }
      return { ts: deps.now().toISOString(), contentType: 'image/jpeg', base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') };
    },
  };

  const recordingsQuery: VerbHandler<z.infer<typeof queryArgs>> = {
    verb: 'recordings.query',
    args: queryArgs,
    async run(args, ctx) {
      const attempt: Attempt = {
        verb: 'recordings.query',
        cameras: [args.camera],
        fromMs: null,
        toMs: null,
        requester: requesterOf(ctx),
        staff: [],
        approvalDoc: null,
        lawDoc: null,
        purpose: null,
        detail: { requestId: ctx.id, from: args.from, to: args.to },
      };
      const camera = cameraFor(args.camera, attempt);
      const { fromMs, toMs } = rangeOf(args.from, args.to, attempt);
      // What exists is itself information about the images: registered like any access.
      register.record({ ...attempt, fromMs, toMs, result: 'granted' });
      const found = deps.segments.range(camera.id, fromMs, toMs);
      const segments = found.slice(0, SEGMENTS_QUERY_LIMIT).map((s) => ({
        start: new Date(s.startMs).toISOString(),
        end: new Date(s.endMs).toISOString(),
        bytes: s.bytes,
        sha256: s.sha256,
      }));
      // The oldest first; `truncated` tells the platform to ask again from the last end.
      return { segments, truncated: found.length > SEGMENTS_QUERY_LIMIT };
    },
  };

  const recordingsExport: VerbHandler<z.infer<typeof exportArgs>> = {
    verb: 'recordings.export',
    args: exportArgs,
    async run(args, ctx) {
      const staff = [...new Set(args.staff.map((s) => s.trim()).filter(Boolean))];
      const attempt: Attempt = {
        verb: 'recordings.export',
        cameras: [args.camera],
        fromMs: null,
        toMs: null,
        requester: requesterOf(ctx),
        staff,
        approvalDoc: blank(args.approvalDoc) ? null : (args.approvalDoc as string).trim(),
        lawDoc: blank(args.lawEnforcementDoc) ? null : (args.lawEnforcementDoc as string).trim(),
        purpose: blank(args.purpose) ? null : (args.purpose as string).trim(),
        detail: { requestId: ctx.id, from: args.from, to: args.to },
      };
      const camera = cameraFor(args.camera, attempt);
      const { fromMs, toMs } = rangeOf(args.from, args.to, attempt);
      attempt.fromMs = fromMs;
      attempt.toMs = toMs;
      const missing = [
        ...(staff.length < 2 ? ['at least 2 distinct staff ids'] : []),
        ...(attempt.approvalDoc === null ? ['approvalDoc'] : []),
        ...(attempt.lawDoc === null ? ['lawEnforcementDoc'] : []),
        ...(attempt.purpose === null ? ['purpose'] : []),
      ];
      if (missing.length > 0) {
        throw refuse(
          { ...attempt, detail: { ...attempt.detail, missing } },
          new VerbError('forbidden', `an export needs ${missing.join(', ')} (Liaoning Art. 18)`),
        );
      }
      const segments = deps.segments.range(camera.id, fromMs, toMs);
      if (segments.length === 0) throw refuse(attempt, new VerbError('not_found', `no recordings of "${camera.id}" between ${args.from} and ${args.to}`));

      const exportId = `exp-${deps.now().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${newId().replace(/[^a-z0-9]/gi, '').slice(0, 12).toLowerCase()}`;
      const exportDir = pathUnder(deps.exportsRoot, exportId);
      register.record({
        ...attempt,
        result: 'granted',
        detail: { ...attempt.detail, exportId, location: exportDir, segments: segments.length, bytes: segments.reduce((n, s) => n + s.bytes, 0) },
      });
      try {
        const manifest = await copySegments(segments, exportDir);
        return { exportId, manifest, location: exportDir };
      } catch (err) {
        // Only our own partial copy goes; the originals were never touched.
        await rm(exportDir, { recursive: true, force: true }).catch(() => undefined);
        deps.logger.error({ camera: camera.id, exportId, err }, 'export failed');
        if (err instanceof VerbError) throw err;
        throw new VerbError('internal', `export ${exportId} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };

  /** Copies (never moves) each segment under exportDir, hashes the copy and checks it against the index. */
  async function copySegments(segments: Segment[], exportDir: string): Promise<ManifestEntry[]> {
    await mkdir(deps.exportsRoot, { recursive: true });
    await mkdir(exportDir); // fails if it exists: an export never mixes with another
    const storageReal = await realpath(deps.storageRoot);
    const manifest: ManifestEntry[] = [];
    for (const seg of segments) {
      const src = pathUnder(deps.storageRoot, seg.path);
      // A symlink in the recordings tree must not lead the copy out of it.
      const srcReal = await realpath(src);
      const back = relative(storageReal, srcReal);
      if (back === '' || back.startsWith('..') || isAbsolute(back)) throw new VerbError('internal', `segment ${seg.path} resolves outside the storage root`);
      const dest = pathUnder(exportDir, seg.path);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(srcReal, dest, constants.COPYFILE_EXCL);
      const copy = await fileSha256(dest);
      const expected = seg.sha256 ?? (await fileSha256(srcReal)).sha256;
      if (copy.sha256 !== expected) {
        throw new VerbError('internal', `segment ${seg.path}: the copy's SHA-256 ${copy.sha256} differs from the index ${expected}`);
      }
      manifest.push({ file: seg.path, sha256: copy.sha256, bytes: copy.bytes });
    }
    await writeFile(join(exportDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    return manifest;
  }

  const holdAdd: VerbHandler<z.infer<typeof holdAddArgs>> = {
    verb: 'hold.add',
    args: holdAddArgs,
    async run(args, ctx) {
      const fromMs = parseTime('from', args.from);
      const toMs = parseTime('to', args.to);
      if (!CAMERA_ID.test(args.camera)) throw new VerbError('bad_request', `"${args.camera}" is not a camera id`);
      // A camera gone from the config may still have recordings worth protecting.
      if (!byId.has(args.camera) && deps.segments.range(args.camera, 0, Number.MAX_SAFE_INTEGER, ['present', 'missing']).length === 0) {
        throw new VerbError('not_found', `no camera "${args.camera}" and no recordings of it`);
      }
      const nowMs = deps.now().getTime();
      try {
        const hold = deps.holds.add({ cameraId: args.camera, fromMs, toMs, kind: args.kind as HoldKind, reason: args.reason, createdBy: requesterOf(ctx) }, nowMs, deps.vitalHoldDays);
        deps.logger.info({ hold: hold.id, camera: hold.cameraId, kind: hold.kind, by: hold.createdBy }, 'hold added by the platform');
        return { hold: holdJson(hold, nowMs) };
      } catch (err) {
        throw holdVerbError(err);
      }
    },
  };

  const holdRelease: VerbHandler<z.infer<typeof holdReleaseArgs>> = {
    verb: 'hold.release',
    args: holdReleaseArgs,
    async run(args, ctx) {
      const nowMs = deps.now().getTime();
      try {
        const hold = deps.holds.release(args.holdId, requesterOf(ctx), args.reason, nowMs);
        deps.logger.info({ hold: hold.id, by: hold.releasedBy }, 'hold released by the platform');
        return { hold: holdJson(hold, nowMs) };
      } catch (err) {
        throw holdVerbError(err);
      }
    },
  };

  const reportAck: VerbHandler<z.infer<typeof reportAckArgs>> = {
    verb: 'report.ack',
    args: reportAckArgs,
    async run(args) {
      const report = deps.acknowledgeReport(args.reportId, args.receiptNo);
      if (!report) throw new VerbError('not_found', `no change report ${args.reportId}`);
      return { report };
    },
  };

  const registerQuery: VerbHandler<z.infer<typeof registerQueryArgs>> = {
    verb: 'register.query',
    args: registerQueryArgs,
    async run(args) {
      const fromMs = args.from === undefined ? null : parseTime('from', args.from);
      const toMs = args.to === undefined ? null : parseTime('to', args.to);
      const rows = register.query({ fromMs, toMs, camera: args.camera ?? null, limit: REGISTER_QUERY_LIMIT + 1 });
      const truncated = rows.length > REGISTER_QUERY_LIMIT;
      // The newest entries when there are more than one answer can carry; narrow the period for older ones.
      const entries = (truncated ? rows.slice(1) : rows).map(accessEntryJson);
      return { entries, chainOk: register.verify().ok, truncated };
    },
  };

  return [snapshot, recordingsQuery, recordingsExport, holdAdd, holdRelease, reportAck, registerQuery] as VerbHandler[];
}
