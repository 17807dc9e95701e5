// The shape every `cea` sub-command has. A command gets its arguments and its
// streams injected (tests run commands in-process with captured streams) and
// returns the process exit code: 0 ok, 1 findings/failure, 2 usage or config error.
export interface CommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/**
 * Thrown by argument parsing; the dispatcher prints it with the command's usage and exits 2.
 * `message` is English; `zh` the same in Simplified Chinese when the thrower had it
 * (scripts/cli/lang.ts usageError), shown when the CLI speaks Chinese.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly zh?: string,
  ) {
    super(message);
  }
}

/** Print exactly one JSON document on stdout (the --json contract). */
export function printJson(io: CommandIo, doc: unknown): void {
  io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
