// Starting and ending ffmpeg children: argument arrays only (never a shell), and children
// that die with the agent.
//
// Node cannot set PR_SET_PDEATHSIG, and ffmpeg does not notice its parent's death by
// itself: checked on ffmpeg 5.1, it ignores EOF on stdin (no command read) and SIGPIPE,
// so after `kill -9` of the agent it keeps recording forever. util-linux
// `setpriv --pdeathsig KILL -- ffmpeg …` sets the parent-death signal and execs ffmpeg in
// the same process (same pid), so the kernel kills it when the agent goes. KILL, not TERM:
// the kernel sends the signal again each time the child is handed to another exiting
// thread of the dying (multi-threaded) node process, and ffmpeg counts signals: from the
// second one on, its interrupt callback fails every file write (the open segment was left
// as a bare 28-byte ftyp in tests), from the fourth it exits hard. With KILL the segment
// keeps every fragment already written (fragmented MP4 + flush_packets, see recorder.ts).
// setpriv is part of util-linux, which Debian marks essential; without it the child is
// spawned bare (systemd's KillMode=control-group still reaps it under the unit).
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** 'auto': setpriv when present (Linux); 'setpriv': required; 'none': bare child. */
export type ParentDeath = 'auto' | 'setpriv' | 'none';

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];

/** The command prefix that makes the child get SIGKILL when its parent dies, or [] if none. */
export function parentDeathPrefix(mode: ParentDeath = 'auto'): string[] {
  if (mode === 'none') return [];
  const found = process.platform === 'linux' ? SETPRIV_PATHS.find((p) => existsSync(p)) : undefined;
  if (!found) {
    if (mode === 'setpriv') throw new Error('setpriv (util-linux) not found: cannot tie ffmpeg to the agent');
    return [];
  }
  return [found, '--pdeathsig', 'KILL', '--'];
}

export interface SpawnFfmpegOptions {
  ffmpegPath?: string;
  spawn?: SpawnFn;
  parentDeath?: ParentDeath;
  env?: NodeJS.ProcessEnv;
  stdio: SpawnOptions['stdio'];
}

export function spawnFfmpeg(args: readonly string[], opts: SpawnFfmpegOptions): ChildProcess {
  const [wrapper, ...wrapperArgs] = parentDeathPrefix(opts.parentDeath);
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const spawn = opts.spawn ?? (nodeSpawn as SpawnFn);
  const options: SpawnOptions = { stdio: opts.stdio, detached: false, shell: false, windowsHide: true, env: opts.env ?? process.env };
  return wrapper ? spawn(wrapper, [...wrapperArgs, ffmpeg, ...args], options) : spawn(ffmpeg, args, options);
}

export const isRunning = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Ends ffmpeg the way that keeps the current segment whole: one SIGTERM (ffmpeg stops
 * reading and writes the trailer; a second signal would make it abandon its file writes),
 * SIGKILL after the grace if it is stuck (a blocking read of a silent camera ignores the
 * first SIGTERM until its socket timeout). Resolves when the process has exited.
 */
export async function terminate(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (!isRunning(child) || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => isRunning(child) && child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
