import { spawn, type ChildProcess } from 'node:child_process';

// Another process holding an SQLite database's write lock, as a technician's sqlite3
// session or a backup tool would: python3's sqlite3 module (a different program than the
// agent, sharing nothing with it but the file) runs BEGIN EXCLUSIVE and waits for a line
// on stdin before it commits.
const SCRIPT = `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute('BEGIN EXCLUSIVE')
print('LOCKED', flush=True)
sys.stdin.readline()
c.execute('COMMIT')
c.close()
print('RELEASED', flush=True)
`;

export interface LockHolder {
  readonly pid: number;
  release(): Promise<void>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

export async function holdWriteLock(file: string): Promise<LockHolder> {
  const child: ChildProcess = spawn('python3', ['-c', SCRIPT, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 35_000;
  while (!out.includes('LOCKED')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`python3 could not lock ${file}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid: child.pid ?? -1,
    async release() {
      child.stdin?.write('\n');
      await exited;
      if (!out.includes('RELEASED')) throw new Error(`the lock holder did not commit: ${err}`);
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
