// The sd_notify driver against a real AF_UNIX/SOCK_DGRAM listener. Node cannot bind
// one, so the listener is a small python3 program that prints every datagram it
// receives as a JSON line (closing the fds that systemd-notify's barrier passes, as
// systemd does, so the helper's wait ends).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSdNotifier, watchdogIntervalFromEnv } from '../../drivers/host/sd-notify.js';

const LISTENER_PY = String.raw`
import array, json, os, socket, sys, threading
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + path[1:] if path.startswith("@") else path)
def parent_gone():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=parent_gone, daemon=True).start()
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
    pid = None
    nfds = 0
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(cdata[: len(cdata) - len(cdata) % fds.itemsize])
            for fd in fds:
                os.close(fd)
                nfds += 1
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = int.from_bytes(cdata[0:4], sys.byteorder)
    print(json.dumps({"data": data.decode("utf-8", "replace"), "pid": pid, "fds": nfds}), flush=True)
`;

interface Datagram {
  fields: Map<string, string>;
  raw: string;
  pid: number | null;
  fds: number;
}

interface Listener {
  received: Datagram[];
  /** datagrams other than the barriers systemd-notify sends after each message */
  messages(): Datagram[];
  waitFor(pred: (d: Datagram) => boolean, what: string): Promise<Datagram>;
}

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cea-sdn-'));
  tempDirs.push(dir);
  return dir;
}

function parse(raw: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of raw.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

async function startListener(socketPath: string): Promise<Listener> {
  const child = spawn('python3', ['-c', LISTENER_PY, socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const received: Datagram[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener did not start: ${stderr}`)), 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`listener exited with ${code}: ${stderr}`));
    });
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { listening?: boolean; data?: string; pid?: number | null; fds?: number };
      if (msg.listening) {
        clearTimeout(timer);
        resolve();
        return;
      }
      received.push({ raw: msg.data ?? '', fields: parse(msg.data ?? ''), pid: msg.pid ?? null, fds: msg.fds ?? 0 });
      for (const wake of waiters) wake();
    });
  });
  const messages = (): Datagram[] => received.filter((d) => !d.fields.has('BARRIER'));
  return {
    received,
    messages,
    waitFor(pred, what) {
      return new Promise<Datagram>((resolve, reject) => {
        const check = (): boolean => {
          const hit = messages().find(pred);
          if (hit === undefined) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(hit);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no ${what} datagram; got ${JSON.stringify(messages().map((d) => d.raw))}`));
        }, 5_000);
        waiters.add(wake);
        check();
      });
    },
  };
}

function fakeLogger() {
  return { warn: vi.fn<(obj: object, msg?: string) => void>() };
}

// The real-socket tests need systemd-notify (package `systemd`) and python3; on Linux
// both are required rather than skipped, so a CI box without them fails loudly.
const onLinux = process.platform === 'linux';

describe('sd_notify driver', () => {
  it('is a no-op without NOTIFY_SOCKET (nothing spawned, everything resolves)', async () => {
    const fakeSpawn = vi.fn(() => {
      throw new Error('must not spawn');
    });
    for (const env of [{ WATCHDOG_USEC: '30000000' }, { NOTIFY_SOCKET: '', WATCHDOG_USEC: '30000000' }]) {
      const n = createSdNotifier({ env, pid: process.pid, spawn: fakeSpawn as unknown as typeof spawn });
      expect(n.enabled).toBe(false);
      expect(n.watchdogIntervalMs).toBeNull();
      await expect(n.ready('up')).resolves.toBeUndefined();
      await expect(n.status('x')).resolves.toBeUndefined();
      await expect(n.watchdog()).resolves.toBeUndefined();
      await expect(n.stopping()).resolves.toBeUndefined();
    }
    expect(fakeSpawn).not.toHaveBeenCalled();
  });

  it('derives the watchdog interval from WATCHDOG_USEC and honours WATCHDOG_PID', () => {
    const pid = 4242;
    expect(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30000000' }, pid)).toBe(15_000);
    expect(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, pid)).toBe(15_000);
    expect(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, pid)).toBeNull();
    expect(watchdogIntervalFromEnv({}, pid)).toBeNull();
    expect(watchdogIntervalFromEnv({ WATCHDOG_USEC: '0' }, pid)).toBeNull();
    expect(watchdogIntervalFromEnv({ WATCHDOG_USEC: '30s' }, pid)).toBeNull();
  });

  describe.runIf(onLinux)('with a real unix datagram socket', () => {
    it('delivers READY, STATUS, WATCHDOG and STOPPING to NOTIFY_SOCKET, in order', async () => {
      const socketPath = join(await tempDir(), 'notify.sock');
      const listener = await startListener(socketPath);
      const logger = fakeLogger();
      const n = createSdNotifier({
        env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid) },
        pid: process.pid,
        logger,
      });
      expect(n.enabled).toBe(true);
      expect(n.watchdogIntervalMs).toBe(15_000);

      await n.ready('starting: 3 cameras');
      await n.status('recording 3/3\ncameras');
      await n.watchdog();
      await n.stopping();

      const ready = await listener.waitFor((d) => d.fields.has('READY'), 'READY');
      expect(ready.fields.get('READY')).toBe('1');
      expect(ready.fields.get('MAINPID')).toBe(String(process.pid));
      expect(ready.fields.get('STATUS')).toBe('starting: 3 cameras');
      await listener.waitFor((d) => d.fields.get('STATUS') === 'recording 3/3 cameras', 'STATUS');
      await listener.waitFor((d) => d.fields.get('WATCHDOG') === '1', 'WATCHDOG');
      await listener.waitFor((d) => d.fields.get('STOPPING') === '1', 'STOPPING');
      const kinds = listener.messages().map((d) => [...d.fields.keys()].filter((k) => k !== 'MAINPID').join('+'));
      expect(kinds).toEqual(['READY+STATUS', 'STATUS', 'WATCHDOG', 'STOPPING']);
      // systemd-notify waited on a barrier (an fd the manager closes) after each message:
      // what keeps a short-lived sender attributable to the unit.
      // (The last barrier's line may still be in the listener's pipe: wait for it.)
      await vi.waitFor(() => {
        const barriers = listener.received.filter((d) => d.fields.get('BARRIER') === '1');
        expect(barriers).toHaveLength(4);
        expect(barriers.every((d) => d.fds === 1)).toBe(true);
      });
      expect(logger.warn).not.toHaveBeenCalled();
    });

    it('works with an abstract NOTIFY_SOCKET (@name)', async () => {
      const name = `@cea-sdn-test-${process.pid}-${randomBytes(6).toString('hex')}`;
      const listener = await startListener(name);
      const logger = fakeLogger();
      const n = createSdNotifier({ env: { ...process.env, NOTIFY_SOCKET: name }, pid: process.pid, logger });
      await n.ready();
      const ready = await listener.waitFor((d) => d.fields.has('READY'), 'READY');
      expect(ready.fields.has('STATUS')).toBe(false);
      expect(logger.warn).not.toHaveBeenCalled();
    });

    it('sends no watchdog pings when WATCHDOG_PID names another process or WATCHDOG_USEC is unset', async () => {
      const socketPath = join(await tempDir(), 'notify.sock');
      const listener = await startListener(socketPath);
      const other = createSdNotifier({
        env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' },
        pid: process.pid,
      });
      const unwatched = createSdNotifier({ env: { ...process.env, NOTIFY_SOCKET: socketPath }, pid: process.pid });
      expect(other.watchdogIntervalMs).toBeNull();
      expect(unwatched.watchdogIntervalMs).toBeNull();
      await other.watchdog();
      await unwatched.watchdog();
      await unwatched.status('sync');
      await listener.waitFor((d) => d.fields.get('STATUS') === 'sync', 'STATUS');
      expect(listener.messages().map((d) => d.raw)).toEqual(['STATUS=sync']);
    });

    it('survives a broken NOTIFY_SOCKET: never throws, logs once, logs the recovery once', async () => {
      const socketPath = join(await tempDir(), 'not-yet.sock');
      const logger = fakeLogger();
      const n = createSdNotifier({
        env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '30000000' },
        pid: process.pid,
        logger,
      });
      await expect(n.ready('up')).resolves.toBeUndefined();
      for (let i = 0; i < 3; i++) await expect(n.watchdog()).resolves.toBeUndefined();
      await expect(n.status('still here')).resolves.toBeUndefined();
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const [obj, msg] = logger.warn.mock.calls[0]!;
      expect(msg).toMatch(/sd_notify failed/);
      expect(obj).toMatchObject({ notification: 'READY', notifySocket: socketPath });

      // The manager's socket comes (back): the next ping goes through, logged once.
      const listener = await startListener(socketPath);
      await n.watchdog();
      await listener.waitFor((d) => d.fields.get('WATCHDOG') === '1', 'WATCHDOG');
      await n.watchdog();
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(logger.warn.mock.calls[1]).toEqual([{ suppressedFailures: 4 }, 'sd_notify works again']);
    });

    it('a NOTIFY_SOCKET in a missing directory does not throw either', async () => {
      const logger = fakeLogger();
      const n = createSdNotifier({
        env: { ...process.env, NOTIFY_SOCKET: '/nonexistent/cea/notify' },
        pid: process.pid,
        logger,
      });
      await expect(n.ready()).resolves.toBeUndefined();
      await expect(n.stopping()).resolves.toBeUndefined();
      expect(logger.warn).toHaveBeenCalledTimes(1);
    });
  });

  it('a missing helper binary is logged once and never throws', async () => {
    const logger = fakeLogger();
    const n = createSdNotifier({
      env: { ...process.env, NOTIFY_SOCKET: '/run/cea-test/notify', WATCHDOG_USEC: '30000000' },
      pid: process.pid,
      logger,
      command: '/nonexistent/cea-no-such-systemd-notify',
    });
    await n.ready();
    await n.watchdog();
    await n.watchdog();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ err: { code: 'ENOENT' } });
  });

  it('a hung helper is killed at the deadline, and queued pings are coalesced', async () => {
    const spawned: ChildProcess[] = [];
    const hangingSpawn = ((_cmd: string, _args: readonly string[], opts: SpawnOptions) => {
      const child = spawn('sleep', ['30'], opts);
      spawned.push(child);
      children.push(child);
      return child;
    }) as unknown as typeof spawn;
    const logger = fakeLogger();
    const n = createSdNotifier({
      env: { ...process.env, NOTIFY_SOCKET: '/run/cea-test/notify', WATCHDOG_USEC: '30000000' },
      pid: process.pid,
      logger,
      spawn: hangingSpawn,
      timeoutMs: 300,
    });
    const started = Date.now();
    // Three pings before the first has started: one send.
    const first = [n.watchdog(), n.watchdog(), n.watchdog()];
    expect(new Set(first).size).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    // The first is running (hung); these two wait in the queue as one.
    const second = [n.watchdog(), n.watchdog()];
    expect(second[0]).toBe(second[1]);
    await Promise.all([...first, ...second]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(2_000);
    expect(spawned).toHaveLength(2);
    await vi.waitFor(() => expect(spawned.every((c) => c.signalCode === 'SIGKILL')).toBe(true));
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ err: { code: 'ETIMEDOUT' } });
  });
});
