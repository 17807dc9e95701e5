// `cea user add|list|remove` as an operator runs it: the built CLI, a real config file and
// database, the password on standard input, never echoed or logged.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../agent/console/accounts.js';
import { verifyPassword } from '../../agent/console/password.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTempDir>;
let configFile: string;
let dbFile: string;

beforeEach(() => {
  tmp = makeTempDir('cea-user-cli-');
  dbFile = join(tmp.dir, 'state', 'agent.db');
  configFile = join(tmp.dir, 'agent.yaml');
  writeFileSync(
    configFile,
    [
      'site: { id: user-cli-site }',
      'profile: liaoning-2008',
      'mqtt: { url: "mqtt://127.0.0.1:1" }',
      `database: ${JSON.stringify(dbFile)}`,
      `storage: { root: ${JSON.stringify(join(tmp.dir, 'rec'))} }`,
      'live: { listen: "127.0.0.1:0" }',
      '',
    ].join('\n'),
  );
});
afterEach(() => tmp.remove());

async function cea(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCea([...args, '--config', configFile], { cwd: tmp.dir, ...(stdin !== undefined ? { stdin } : {}) });
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

function storedUsers() {
  const { db } = openStore(dbFile, { migrations, now: () => new Date() });
  try {
    return new AccountStore(db).list();
  } finally {
    db.close();
  }
}

describe('cea user', () => {
  it('adds a user from a password on stdin (before the agent ever ran), lists it and removes it', async () => {
    const password = 'Correct-Horse-9';
    const add = await cea(['user', 'add', 'alice', '--role', 'operator', '--password-stdin', '--language', 'en'], `${password}\n`);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('added console user alice (operator)');
    // Never echoed, never logged.
    expect(add.stdout + add.stderr).not.toContain(password);

    const [alice] = storedUsers();
    expect(alice).toMatchObject({ name: 'alice', role: 'operator', language: 'en' });
    expect(alice?.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(alice?.passwordHash).not.toContain(password);
    expect(await verifyPassword(password, alice?.passwordHash ?? null)).toBe(true);
    expect(await verifyPassword(`${password}x`, alice?.passwordHash ?? null)).toBe(false);
    // The clear text is nowhere in the database file.
    expect(readFileSync(dbFile).includes(Buffer.from(password))).toBe(false);

    const list = await cea(['user', 'list', '--json']);
    expect(list.code).toBe(0);
    const doc = JSON.parse(list.stdout) as { users: Record<string, unknown>[] };
    expect(doc.users).toEqual([expect.objectContaining({ name: 'alice', role: 'operator', language: 'en' })]);
    expect(JSON.stringify(doc)).not.toContain('scrypt');
    const table = await cea(['user', 'list']);
    expect(table.stdout).toMatch(/alice\s+operator\s+en/);

    const remove = await cea(['user', 'remove', 'alice']);
    expect(remove.code).toBe(0);
    expect(remove.stderr).toContain('no admin account is left');
    expect(storedUsers()).toEqual([]);
    expect((await cea(['user', 'remove', 'alice'])).code).toBe(1);
  });

  it('refuses an empty or short password, a missing --password-stdin, a bad role and an existing name without --update', async () => {
    const empty = await cea(['user', 'add', 'bob', '--role', 'admin', '--password-stdin'], '\n');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the password is empty');
    const short = await cea(['user', 'add', 'bob', '--role', 'admin', '--password-stdin'], 'short-pw1\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('shorter than 10 characters');
    expect(short.stderr).not.toContain('short-pw1');
    expect((await cea(['user', 'add', 'bob', '--role', 'admin'])).stderr).toContain('--password-stdin is required');
    expect((await cea(['user', 'add', 'bob', '--role', 'root', '--password-stdin'], 'long-enough-pw\n')).code).toBe(2);
    expect((await cea(['user', 'add', 'bad name', '--role', 'admin', '--password-stdin'], 'long-enough-pw\n')).code).toBe(2);
    expect(storedUsers()).toEqual([]);
    // Human output follows --lang (the config's language, zh-CN, without it and without CEA_LANG).
    expect((await cea(['user', 'list', '--lang', 'zh-CN'])).stdout).toContain('尚无控制台用户');

    expect((await cea(['user', 'add', 'bob', '--role', 'viewer', '--password-stdin'], 'first-password-1\n')).code).toBe(0);
    const again = await cea(['user', 'add', 'bob', '--role', 'admin', '--password-stdin'], 'second-password-2\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(storedUsers()[0]?.role).toBe('viewer');

    const update = await cea(['user', 'add', 'bob', '--role', 'admin', '--password-stdin', '--update'], 'second-password-2');
    expect(update.code, update.stderr).toBe(0);
    const [bob] = storedUsers();
    expect(bob?.role).toBe('admin');
    expect(await verifyPassword('second-password-2', bob?.passwordHash ?? null)).toBe(true);
    expect(await verifyPassword('first-password-1', bob?.passwordHash ?? null)).toBe(false);
  });

  it('writes while the agent holds the database open (WAL)', async () => {
    const { db } = openStore(dbFile, { migrations, now: () => new Date() });
    try {
      // A reader in the middle of a transaction, as the running agent may be.
      db.prepare('BEGIN').run();
      db.prepare('SELECT count(*) FROM console_users').get();
      const add = await cea(['user', 'add', 'carol', '--role', 'viewer', '--password-stdin'], 'carol-password-1\n');
      expect(add.code, add.stderr).toBe(0);
      db.prepare('COMMIT').run();
      expect(new AccountStore(db).get('carol')?.role).toBe('viewer');
    } finally {
      db.close();
    }
  });
});
