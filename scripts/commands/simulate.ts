// `cea simulate`: run simulated ONVIF cameras on 127.0.0.1 (demo, tests, training)
// until SIGINT/SIGTERM, then stop them cleanly.
import { startFleet, type Fleet, type SimulatedCameraSpec } from '../../test/fakes/onvif-camera/index.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { parseCommandArgs } from '../cli/args.js';

const MAX_CAMERAS = 64;

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'run simulated ONVIF cameras on 127.0.0.1 until Ctrl-C',
  usage:
    'simulate [--cameras N] [--discovery-port P] [--multicast] [--no-discovery] ' +
    '[--username U --password P] [--json]',
  run: (argv, io) => runSimulate(argv, io),
};

/** The command body; `signal` ends it (default: SIGINT/SIGTERM; tests pass an AbortController's). */
export async function runSimulate(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      cameras: { type: 'string', default: '4' },
      'discovery-port': { type: 'string', default: '3702' },
      multicast: { type: 'boolean', default: false },
      'no-discovery': { type: 'boolean', default: false },
      username: { type: 'string' },
      password: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    false,
  );
  const count = intArg(values.cameras, '--cameras', 1, MAX_CAMERAS);
  const discoveryPort = intArg(values['discovery-port'], '--discovery-port', 0, 65535);
  if ((values.username === undefined) !== (values.password === undefined)) {
    throw new UsageError('--username and --password go together');
  }
  if (values.password === '') throw new UsageError('--password must not be empty');

  const specs: SimulatedCameraSpec[] = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return {
      id: `cam-${n}`,
      name: `Simulated camera ${n}`,
      ...(values.username !== undefined ? { username: values.username, password: values.password } : {}),
    };
  });
  const logger = stderrLogger(io);
  let fleet: Fleet;
  try {
    fleet = await startFleet(specs, {
      discovery: values['no-discovery'] ? false : { port: discoveryPort, multicast: values.multicast },
      logger,
    });
  } catch (err) {
    // Typically the discovery port is taken (another responder on 3702): say so, exit 1.
    const message = (err as Error).message;
    io.stderr.write(`cea simulate: cannot start: ${message}\n`);
    if (values.json) printJson(io, { cameras: [], discoveryPort: null, error: message });
    return EXIT_FINDINGS;
  }
  const signals = signal ? null : processSignals();
  const stopSignal = signal ?? signals!.signal;
  try {
    const doc = {
      cameras: fleet.cameras.map((c) => ({
        id: c.id,
        urn: c.urn,
        deviceServiceUrl: c.deviceServiceUrl,
        snapshotUrl: c.snapshotUrl,
        username: c.username,
        password: c.password,
      })),
      discoveryPort: fleet.discoveryPort,
    };
    if (values.json) printJson(io, doc);
    else printTable(io, doc);
    await new Promise<void>((resolve) => {
      if (stopSignal.aborted) resolve();
      else stopSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    if (!values.json) io.stderr.write('stopping simulated cameras…\n');
  } finally {
    await fleet.stop();
    signals?.dispose();
  }
  return EXIT_OK;
}

function intArg(v: string | undefined, name: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v ?? '') || n < lo || n > hi) throw new UsageError(`${name} must be an integer in [${lo}, ${hi}]`);
  return n;
}

/**
 * Aborts on the first SIGINT/SIGTERM. `process.on` (not once) and idempotent: Ctrl-C
 * under npm signals the whole group and may arrive twice (NOTES.md, Signals); repeats
 * are swallowed until dispose(), after the fleet has stopped.
 */
function processSignals(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = () => {
    if (!ac.signal.aborted) ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function stderrLogger(io: CommandIo) {
  const line = (level: string, obj: object, msg?: string) =>
    io.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...obj, msg })}\n`);
  return {
    info: (obj: object, msg?: string) => line('info', obj, msg),
    warn: (obj: object, msg?: string) => line('warn', obj, msg),
  };
}

interface Doc {
  cameras: { id: string; urn: string; deviceServiceUrl: string; snapshotUrl: string; username: string; password: string }[];
  discoveryPort: number | null;
}

function printTable(io: CommandIo, doc: Doc): void {
  const rows = [['id', 'device service', 'snapshot', 'username', 'password', 'urn']];
  for (const c of doc.cameras) rows.push([c.id, c.deviceServiceUrl, c.snapshotUrl, c.username, c.password, c.urn]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) io.stdout.write(`${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  io.stdout.write(
    doc.discoveryPort === null
      ? 'WS-Discovery: off\n'
      : `WS-Discovery: udp 127.0.0.1:${doc.discoveryPort}\n`,
  );
  io.stdout.write('Ctrl-C stops them.\n');
}
