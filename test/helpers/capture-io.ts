import { PassThrough } from 'node:stream';
import type { CommandIo } from '../../scripts/cli/command.js';

/**
 * In-process command streams, captured (not a TTY, as under CI or a pipe). The default
 * environment carries only CEA_LANG (vitest.config.ts sets it to en, so human output is
 * English unless a test asks for another language).
 */
export function captureIo(cwd: string, env: NodeJS.ProcessEnv = process.env.CEA_LANG ? { CEA_LANG: process.env.CEA_LANG } : {}): { io: CommandIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdout: out, stderr: err, env, cwd }, stdout: () => o, stderr: () => e };
}
