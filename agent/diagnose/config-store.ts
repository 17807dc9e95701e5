// Config and database checks. The database is opened read-only (or the running agent's
// handle is borrowed): diagnose never writes it.
import type { AgentConfig } from '../config/index.js';
import type { Database } from '../../drivers/store/index.js';
import { said, type Check } from './checks.js';

export function configCheck(config: AgentConfig, warnings: readonly string[]): Check {
  const base = { source: config.source, site: config.site.id, profile: config.profile.id, cameras: config.cameras.length };
  if (warnings.length > 0) return said('config', 'warn', 'config.warnings', { ...base, warnings: [...warnings] });
  return said('config', 'pass', 'config.ok', base);
}

/** The database opened for reading, its problem when it cannot be, and what to do when done. */
export interface OpenedDatabase {
  db: Database | null;
  problem: string | null;
  /** Closes a handle diagnose opened itself; a no-op for a borrowed one. */
  close(): void;
}

export function databaseCheck(config: AgentConfig, opened: OpenedDatabase): Check {
  if (!opened.db) {
    const missing = opened.problem?.startsWith('no database yet') ?? false;
    const p = { file: config.database, problem: opened.problem };
    return missing ? said('database', 'warn', 'database.missing', p) : said('database', 'fail', 'database.unopenable', p);
  }
  try {
    const rows = opened.db.prepare<[], { quick_check: string }>('PRAGMA quick_check').all();
    const first = rows[0]?.quick_check ?? 'no answer';
    if (rows.length === 1 && first === 'ok') {
      const version = opened.db.pragma('user_version', { simple: true }) as number;
      return said('database', 'pass', 'database.ok', { file: config.database, version });
    }
    return said('database', 'fail', 'database.corrupt', { file: config.database, problems: rows.length, first });
  } catch (err) {
    return said('database', 'fail', 'database.error', { file: config.database, message: (err as Error).message });
  }
}
