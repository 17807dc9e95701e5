import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';
import { formatConfigIssue } from './issues.js';
import { PROFILE_ID_PATTERN } from './schema.js';
import type { ConfigIssue, JurisdictionProfile } from './types.js';
import { decodeUtf8, parseYamlMapping } from './yaml-source.js';
import { reportZodIssues } from './zod-issues.js';

// Jurisdiction profiles: the legal numbers of one jurisdiction, one YAML file each in
// config/profiles/, so that no number of the law lives in code.

const days = () => z.number().int().min(1);

export const profileSchema = z.strictObject({
  id: z.string().regex(PROFILE_ID_PATTERN),
  name: z.string().min(1),
  retention: z.strictObject({ floorDays: days(), vitalHoldDays: days() }),
  changeReport: z.strictObject({ workingDays: days() }),
  filing: z.strictObject({ days: days(), daysExistingSystem: days() }),
  sources: z.array(z.string().min(1)).min(1, { message: 'a profile must cite its sources' }),
  assumptions: z.array(z.string().min(1)).default([]),
  // The language of human-facing texts (console, CLI, dossier, reports) unless the config says otherwise.
  language: z.enum(['zh-CN', 'en']).default('zh-CN'),
});

export function defaultProfilesDir(): string {
  return join(packageRoot(), 'config', 'profiles');
}

/** Profile names available in a directory (file names without .yaml), sorted. */
export function listProfiles(profilesDir: string = defaultProfilesDir()): string[] {
  try {
    return readdirSync(profilesDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

export type ProfileRead =
  | { ok: true; profile: JurisdictionProfile }
  | { ok: false; kind: 'unknown'; known: string[] }
  | { ok: false; kind: 'invalid'; errors: ConfigIssue[] };

export function readProfile(id: string, profilesDir: string = defaultProfilesDir()): ProfileRead {
  // The pattern also keeps the name from walking out of the directory ("../x").
  if (!PROFILE_ID_PATTERN.test(id) || !listProfiles(profilesDir).includes(id)) {
    return { ok: false, kind: 'unknown', known: listProfiles(profilesDir) };
  }
  const file = resolve(profilesDir, `${id}.yaml`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { ok: false, kind: 'invalid', errors: [{ file, line: 1, column: 1, path: '', message: `cannot read: ${(err as Error).message}` }] };
  }
  const decoded = decodeUtf8(bytes, file);
  if (!decoded.ok) return { ok: false, kind: 'invalid', errors: [decoded.error] };
  const source = parseYamlMapping(decoded.text, file);
  if (!source.ok) return { ok: false, kind: 'invalid', errors: source.errors };
  const parsed = profileSchema.safeParse(source.value);
  if (!parsed.success) {
    reportZodIssues(profileSchema, parsed.error.issues, source.value, source.sink);
    return { ok: false, kind: 'invalid', errors: source.sink.errors };
  }
  const p = parsed.data;
  if (p.id !== id) source.sink.error(['id'], `the id must match the file name "${id}"`);
  if (p.retention.vitalHoldDays < p.retention.floorDays) {
    source.sink.error(['retention', 'vitalHoldDays'], 'must not be shorter than retention.floorDays');
  }
  if (source.sink.errors.length > 0) return { ok: false, kind: 'invalid', errors: source.sink.errors };
  return { ok: true, profile: { ...p, file } };
}

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(
    message: string,
    readonly issues: ConfigIssue[],
  ) {
    super(message);
  }
}

/** Loads and validates one profile; throws ProfileError (with positioned issues) when it is unknown or invalid. */
export function loadProfile(id: string, ctx: { profilesDir?: string } = {}): JurisdictionProfile {
  const dir = ctx.profilesDir ?? defaultProfilesDir();
  const read = readProfile(id, dir);
  if (read.ok) return read.profile;
  if (read.kind === 'unknown') {
    throw new ProfileError(`unknown profile "${id}" (known: ${read.known.join(', ') || 'none'})`, []);
  }
  throw new ProfileError(`profile "${id}" is invalid:\n${read.errors.map(formatConfigIssue).join('\n')}`, read.errors);
}
