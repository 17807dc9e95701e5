// Config and database checks. The database is opened read-only (or the running agent's
// handle is borrowed): diagnose never writes it.
import type { AgentConfig } from '../config/index.js';
import type { Database } from '../../drivers/store/index.js';
import { check, type Check } from './checks.js';

export function configCheck(config: AgentConfig, warnings: readonly string[]): Check {
  const cams = config.cameras.length;
  const base = `${config.source}: site ${config.site.id}, profile ${config.profile.id}, ${cams} camera${cams === 1 ? '' : 's'}`;
  if (warnings.length > 0) {
    return check('config', 'warn', `${base}; ${warnings.length} warning(s): ${warnings.join('; ')}`, 'fix the warned settings (`cea validate-config` lists them with line numbers)');
  }
  return check('config', 'pass', base);
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
    return missing
      ? check('database', 'warn', opened.problem ?? 'no database', 'start the agent once (`cea run` or `systemctl start cea`): it creates the database')
      : check('database', 'fail', opened.problem ?? 'cannot open the database', `check ${config.database}: permissions (the agent's user must read it) and the disk; restore it from a backup if it is damaged`);
  }
  try {
    const rows = opened.db.prepare<[], { quick_check: string }>('PRAGMA quick_check').all();
    const first = rows[0]?.quick_check ?? 'no answer';
    if (rows.length === 1 && first === 'ok') {
      const version = opened.db.pragma('user_version', { simple: true }) as number;
      return check('database', 'pass', `${config.database}: quick_check ok, schema version ${version}`);
    }
    return check(
      'database',
      'fail',
      `${config.database}: quick_check found ${rows.length} problem(s), first: ${first}`,
      'stop the agent, copy the database aside, and run `sqlite3 agent.db ".recover"` into a new file, or restore a backup',
    );
  } catch (err) {
    return check('database', 'fail', `${config.database}: ${(err as Error).message}`, 'the database file is damaged or not SQLite: restore it from a backup');
  }
}
