// Operator accounts of the console (table console_users, migration 10). Only the scrypt
// hash of a password is stored; the CLI (`cea user …`) writes here, the console reads
// and, for the user's own language, writes.
import type { Database } from '../../drivers/store/index.js';
import type { Language } from '../config/index.js';
import { ROLES, type Role } from './contract.js';

export interface Account {
  name: string;
  role: Role;
  passwordHash: string;
  /** The operator's own language; null: the console's. */
  language: Language | null;
  createdMs: number;
  updatedMs: number;
}

export class AccountError extends Error {
  override name = 'AccountError';
  constructor(
    readonly code: 'bad_name' | 'bad_role' | 'exists' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

// Letters (Chinese names too), digits and . _ @ -: safe in logs, URLs and the register.
const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

export function nameProblem(name: string): string | null {
  return NAME.test(name) ? null : 'a user name is 1–64 letters, digits, ".", "_", "@" or "-"';
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

interface Row {
  name: string;
  role: string;
  password_hash: string;
  language: string | null;
  created_ms: number;
  updated_ms: number;
}

function toAccount(r: Row): Account {
  return {
    name: r.name,
    role: r.role as Role,
    passwordHash: r.password_hash,
    language: r.language === 'zh-CN' || r.language === 'en' ? r.language : null,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
  };
}

export class AccountStore {
  constructor(private readonly db: Database) {}

  get(name: string): Account | null {
    const row = this.db.prepare<[string], Row>('SELECT * FROM console_users WHERE name = ?').get(name);
    return row ? toAccount(row) : null;
  }

  list(): Account[] {
    return this.db.prepare<[], Row>('SELECT * FROM console_users ORDER BY name').all().map(toAccount);
  }

  count(): number {
    return this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM console_users').get()?.n ?? 0;
  }

  /** Adds a user; with `update`, replaces an existing one's role, password and language (keeping created_ms). */
  put(a: { name: string; role: Role; passwordHash: string; language: Language | null }, nowMs: number, opts: { update?: boolean } = {}): { created: boolean } {
    const problem = nameProblem(a.name);
    if (problem) throw new AccountError('bad_name', problem);
    if (!isRole(a.role)) throw new AccountError('bad_role', `unknown role "${String(a.role)}" (viewer, operator or admin)`);
    return this.db.transaction(() => {
      const existing = this.get(a.name);
      if (existing && !opts.update) throw new AccountError('exists', `user "${a.name}" already exists (use --update to change it)`);
      if (existing) {
        this.db
          .prepare('UPDATE console_users SET role = ?, password_hash = ?, language = ?, updated_ms = ? WHERE name = ?')
          .run(a.role, a.passwordHash, a.language, nowMs, a.name);
        return { created: false };
      }
      this.db
        .prepare('INSERT INTO console_users (name, role, password_hash, language, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)')
        .run(a.name, a.role, a.passwordHash, a.language, nowMs, nowMs);
      return { created: true };
    }).immediate();
  }

  setLanguage(name: string, language: Language | null, nowMs: number): void {
    this.db.prepare('UPDATE console_users SET language = ?, updated_ms = ? WHERE name = ?').run(language, nowMs, name);
  }

  remove(name: string): void {
    const r = this.db.prepare('DELETE FROM console_users WHERE name = ?').run(name);
    if (r.changes === 0) throw new AccountError('not_found', `no user "${name}"`);
  }
}
