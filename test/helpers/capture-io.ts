import { PassThrough } from 'node:stream';
import type { CommandIo } from '../../scripts/cli/command.js';

/** In-process command streams, captured (not a TTY, as under CI or a pipe). */
export function captureIo(cwd: string, env: NodeJS.ProcessEnv = {}): { io: CommandIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdout: out, stderr: err, env, cwd }, stdout: () => o, stderr: () => e };
}
