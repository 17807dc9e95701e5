import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { AccountStore } from '../agent/console/accounts.js';
import { hashPassword } from '../agent/console/password.js';
import { migrations, openStore } from '../drivers/store/index.js';
import type { Logger } from '../drivers/log/logger.js';
import { resolveConfigObject } from '../agent/config/index.js';
import type { AgentConfig, ConfigIssue } from '../agent/config/types.js';
import { startFleet, type Fleet, type SimulatedCameraSpec } from '../test/fakes/onvif-camera/index.js';

export const DEMO_SITE = 'demo-site';
export const DEMO_BROKER_PORT = 1883;
export const DEMO_CONSOLE_PORT = 8080;
/** The demo's console account (an admin), given a new random password at every start. */
export const DEMO_CONSOLE_USER = 'demo';

// The built-in demo: what `npm start` shows a newcomer without any config. Four
// simulated cameras, each showing one thing the agent watches for.
const DEMO_CAMERAS: (SimulatedCameraSpec & { description: string })[] = [
  { id: 'gate-north', name: 'North gate', condition: 'ok', description: 'North gate, facing the road (healthy)' },
  { id: 'lobby', name: 'Lobby', condition: 'blur', description: 'Main lobby (out of focus)' },
  { id: 'car-park', name: 'Car park', condition: 'dark', description: 'Underground car park (too dark)' },
  {
    id: 'side-door',
    name: 'Side door',
    condition: 'ok',
    flap: { offlineMs: 45_000, onlineMs: 45_000 },
    description: 'Side door (drops off the network and comes back)',
  },
];

// On the network but not in the config: the agent reports it (an unfiled camera).
const UNCONFIGURED: SimulatedCameraSpec = { id: 'storeroom', name: 'Storeroom (not configured)', condition: 'ok' };

export interface Demo {
  config: AgentConfig;
  fleet: Fleet;
  warnings: ConfigIssue[];
  /** Where to sign in to the console, and with what (printed for the person running the demo). */
  console: { url: string; user: string; password: string };
  stop(): Promise<void>;
}

export async function startDemo(opts: { cwd: string; env: NodeJS.ProcessEnv; logger: Logger }): Promise<Demo> {
  const fleet = await startFleet([...DEMO_CAMERAS, UNCONFIGURED], { host: '127.0.0.1', discovery: { port: 0 }, logger: opts.logger });
  try {
    const port = (await portIsFree('127.0.0.1', DEMO_BROKER_PORT)) ? DEMO_BROKER_PORT : 0;
    if (port === 0) {
      opts.logger.warn(`127.0.0.1:${DEMO_BROKER_PORT} is taken (another broker?); the demo broker uses a free port instead`);
    }
    const consolePort = (await portIsFree('127.0.0.1', DEMO_CONSOLE_PORT)) ? DEMO_CONSOLE_PORT : await freePort('127.0.0.1');
    const raw = {
      site: { id: DEMO_SITE, name: 'Demo site (simulated cameras)', timezone: 'Asia/Shanghai' },
      profile: 'liaoning-2008',
      broker: { listen: `127.0.0.1:${port}`, anonymousRead: true },
      mqtt: { url: `mqtt://127.0.0.1:${port}`, keepaliveSeconds: 30 },
      security: { requireSignedCommands: false, platformKeys: [] },
      database: 'data/agent.db',
      storage: { root: 'data/recordings', maxBytes: null },
      retention: { floorDays: 15, ceilingDays: 30 },
      // Unicast to the simulator's responder: works on any machine, multicast or not.
      discovery: { enabled: true, intervalSeconds: 10, targets: [`127.0.0.1:${fleet.discoveryPort}`], announcements: false },
      cameras: fleet.cameras.slice(0, DEMO_CAMERAS.length).map((cam, i) => ({
        id: cam.id,
        name: DEMO_CAMERAS[i]?.name ?? cam.id,
        onvif: { url: cam.deviceServiceUrl, username: cam.username, password: cam.password },
        location: { kind: 'public_area', description: DEMO_CAMERAS[i]?.description ?? '' },
        record: false,
      })),
      monitor: { intervalSeconds: 5 },
      console: { listen: `127.0.0.1:${consolePort}`, language: 'zh-CN' },
      // Any free port: the URL comes back in each live.open answer.
      live: { listen: '127.0.0.1:0' },
    };
    const loaded = resolveConfigObject(raw, '<built-in demo>', { env: opts.env, cwd: opts.cwd });
    if (!loaded.ok) {
      throw new Error(`the built-in demo config is invalid (a bug): ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    }
    const password = await demoConsoleAccount(loaded.config.database);
    const login = { url: `http://127.0.0.1:${consolePort}/`, user: DEMO_CONSOLE_USER, password };
    return { config: loaded.config, fleet, warnings: loaded.warnings, console: login, stop: () => fleet.stop() };
  } catch (err) {
    await fleet.stop();
    throw err;
  }
}

/** (Re)creates the demo's admin account with a fresh random password, returned to be printed (never logged). */
async function demoConsoleAccount(database: string): Promise<string> {
  const password = randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(password);
  const { db } = openStore(database, { migrations, now: () => new Date() });
  try {
    new AccountStore(db).put({ name: DEMO_CONSOLE_USER, role: 'admin', passwordHash, language: null }, Date.now(), { update: true });
  } finally {
    db.close();
  }
  return password;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
