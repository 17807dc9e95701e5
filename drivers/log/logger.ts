import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { REDACTED, scrubText, scrubValue, secretRedactPaths } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where lines go. The agent logs to stdout; CLI commands log to stderr (stdout is for --json). */
  destination: NodeJS.WritableStream & { isTTY?: boolean; fd?: number };
  /** Pretty, coloured lines for a person at a terminal; JSON lines otherwise (journald, CI). */
  pretty?: boolean;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions): Logger {
  const usePretty = opts.pretty ?? Boolean(opts.destination.isTTY);
  const stream: DestinationStream = usePretty
    ? pretty({
        destination: opts.destination,
        colorize: Boolean(opts.destination.isTTY),
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : plainDestination(opts.destination);
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? null,
      redact: { paths: secretRedactPaths(), censor: REDACTED },
      hooks: {
        // Message strings are scrubbed here; objects are scrubbed by formatters.log.
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
      formatters: {
        log: (obj) => scrubValue(obj) as Record<string, unknown>,
      },
    },
    stream,
  );
}

/**
 * Process stdout/stderr are written synchronously so the last line before a crash exit
 * is not lost in a pipe buffer; other streams (tests) are used as they are.
 */
function plainDestination(dest: LoggerOptions['destination']): DestinationStream {
  if (dest === process.stdout || dest === process.stderr) {
    return pino.destination({ fd: dest === process.stdout ? 1 : 2, sync: true });
  }
  return dest as unknown as DestinationStream;
}

/** A logger that drops everything (tests that don't look at logs, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
