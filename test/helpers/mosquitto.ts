import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, MOSQUITTO_BINARY, portOpen } from '../../scripts/bench/mosquitto.js';
import { makeTempDir } from './tmp.js';

/** The reference broker for tests about broker behaviour (retained messages, wills). */
export interface Mosquitto {
  port: number;
  url: string;
  /** SIGHUP: mosquitto re-reads its password and ACL files (tests that admit a client later). */
  reload(): void;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  port?: number;
  /** Default true. */
  allowAnonymous?: boolean;
  /** Lines appended after the listener line (so they configure it: TLS, ACL file, …). */
  extraConfig?: string[];
  /** The scheme of `url` (mqtts for a TLS listener). */
  scheme?: 'mqtt' | 'mqtts';
}

/** Starts mosquitto on 127.0.0.1 with a throwaway config; stop() kills it by PID and removes its files. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const tmp = makeTempDir('cea-mosquitto-');
  const port = opts.port ?? (await freePort());
  const conf = join(tmp.dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      `allow_anonymous ${opts.allowAnonymous ?? true}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(MOSQUITTO_BINARY, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      tmp.remove();
      throw new Error(`mosquitto did not start on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `${opts.scheme ?? 'mqtt'}://127.0.0.1:${port}`,
    reload() {
      child.kill('SIGHUP');
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      tmp.remove();
    },
  };
}
