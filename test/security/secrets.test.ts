// Nothing the agent says may carry a secret: camera passwords (inline, from an env var,
// and a wrong one that makes the camera refuse), the MQTT password (from a file). The
// agent runs at debug level against simulated cameras and a password-protected mosquitto;
// we make it use every secret (interrogation, snapshots, a failing live view whose ffmpeg
// prints its URL, the diagnose verb) and grep everything it produced for the literal
// values and their URL-encoded forms: its log, every MQTT message it published, the
// answers to requests, `cea validate-config --json` and `cea diagnose --json`.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { spawnCea } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { makeTempDir } from '../helpers/tmp.js';
import { hostileProxy, type Proxy } from './hostile-peers.js';
import { agentConfig, platformClient, startAgentProcess, untilInterrogated, waitFor, type AgentProcess, type Platform } from './harness.js';

const SITE = 'sec-secrets';
const SECRETS = {
  cameraInline: 'Cam-Inline-Pw-7f3a!',
  cameraEnv: 'Cam-Env-Pw-91c2#x',
  cameraWrong: 'Wrong-Pw-3e1@z',
  mqttFile: 'Mqtt-File-Pw-5d88%y',
  /** A camera that puts its own password into its stream URI's query (some firmwares do). */
  cameraInUri: 'Uri-Query-Pw-60af',
};
const tmp = makeTempDir('cea-sec-secrets-');
let broker: Mosquitto;
let fleet: Fleet;
let agent: AgentProcess;
let plat: Platform;
let uriProxy: Proxy;
const published: { topic: string; payload: string }[] = [];
const cliOutput: Record<string, string> = {};

/** Every form a secret could leak in: as is, URL-encoded, and base64 (HTTP Basic carries user:password). */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64').replace(/=+$/, '')];
}

function expectNoSecret(what: string, text: string): void {
  for (const [name, secret] of Object.entries(SECRETS)) {
    for (const form of forms(secret)) {
      if (text.includes(form)) throw new Error(`${what} contains ${name} (${form}) at: …${text.slice(Math.max(0, text.indexOf(form) - 200), text.indexOf(form) + 50)}…`);
    }
  }
}

beforeAll(async () => {
  // mosquitto with a password file: the agent and the platform log in.
  const pwFile = join(tmp.dir, 'mosquitto.passwd');
  execFileSync('mosquitto_passwd', ['-b', '-c', pwFile, 'box', SECRETS.mqttFile]);
  execFileSync('mosquitto_passwd', ['-b', pwFile, 'platform', 'platform-pw']);
  chmodSync(tmp.dir, 0o755);
  chmodSync(pwFile, 0o644);
  broker = await startMosquitto({ allowAnonymous: false, extraConfig: [`password_file ${pwFile}`] });
  const mqttSecretFile = join(tmp.dir, 'mqtt.password');
  writeFileSync(mqttSecretFile, `${SECRETS.mqttFile}\n`);

  fleet = await startFleet(
    [
      { id: 'inline', password: SECRETS.cameraInline },
      { id: 'fromenv', password: SECRETS.cameraEnv },
      { id: 'refuses', password: 'the-real-one-2b7' },
      { id: 'queryuri', password: SECRETS.cameraInUri },
    ],
    { discovery: false },
  );
  uriProxy = await hostileProxy(fleet.camera('queryuri').deviceServiceUrl, 'uri', (original) => `${original}?user=admin&password=${SECRETS.cameraInUri}`);
  const cam = (id: string, onvif: Record<string, unknown>) => ({
    id,
    name: id,
    onvif: { url: id === 'queryuri' ? uriProxy.url : fleet.camera(id).deviceServiceUrl, username: fleet.camera(id).username, ...onvif },
    location: { kind: 'street', description: id },
    record: false,
  });
  const config = await agentConfig(tmp.dir, SITE, broker.url, {
    mqtt: { url: broker.url, keepaliveSeconds: 5, username: 'box', passwordFile: mqttSecretFile },
    security: { requireSignedCommands: false, platformKeys: [] },
    monitor: { intervalSeconds: 1 },
    cameras: [
      cam('inline', { password: SECRETS.cameraInline }),
      cam('fromenv', { passwordEnv: 'CEA_TEST_CAM_PW' }),
      cam('refuses', { password: SECRETS.cameraWrong }),
      cam('queryuri', { password: SECRETS.cameraInUri }),
    ],
  });
  const watch = { username: 'platform', password: 'platform-pw' };
  // The platform listens to everything the agent publishes, from before it starts.
  const all = await platformClient(broker.url, SITE, watch);
  all.client.on('message', (topic, p) => published.push({ topic, payload: p.toString() }));
  await all.client.subscribeAsync(`psv/v1/${SITE}/#`, { qos: 1 });
  plat = all;
  agent = await startAgentProcess({ dir: tmp.dir, brokerUrl: broker.url, site: SITE, config, env: { CEA_TEST_CAM_PW: SECRETS.cameraEnv }, watch });
}, 60_000);

afterAll(async () => {
  await plat?.client.endAsync(true);
  await agent?.stop();
  await uriProxy?.close();
  await fleet?.stop();
  await broker?.stop();
  tmp.remove();
});

describe('secrets never leave the box', () => {
  it('the agent uses every secret: cameras interrogated, the wrong password refused, snapshots taken', async () => {
    await waitFor('status of both good cameras', () => ['inline', 'fromenv'].every((id) => published.some((m) => m.topic === `psv/v1/${SITE}/camera/${id}/status`)), 30_000);
    await waitFor('camera.auth_failed for the wrong password', () => published.some((m) => m.topic.endsWith('/event') && m.payload.includes('camera.auth_failed')), 30_000);
    const requester = { staff: ['officer-1'], purpose: 'secrets test' };
    for (const camera of ['inline', 'fromenv', 'queryuri']) {
      const snap = await untilInterrogated(plat, camera);
      expect(snap.error).toBeUndefined();
      expect(snap.data?.contentType).toBe('image/jpeg');
    }
    expect((await plat.call('snapshot', { camera: 'refuses', requester })).status).toBe('error');
  });

  it('a live view whose ffmpeg fails (it prints its URL with the password): still nothing', async () => {
    const open = await plat.call('live.open', { camera: 'inline', requester: { staff: ['officer-1'], purpose: 'secrets test' } });
    expect(open.status).toBe('ok');
    const ws = new WebSocket(open.data!.url as string);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.once('error', () => undefined);
    // The simulator's RTSP port has nothing behind it: ffmpeg exits, the viewer is told.
    expect(await closed).toBeGreaterThanOrEqual(1000);
    await waitFor('the relay to log ffmpeg ending', () => /ffmpeg/.test(agent.output()), 15_000);
  });

  it('the diagnose verb answers without secrets', async () => {
    const diag = await plat.call('diagnose', { camera: 'refuses' });
    expect(diag.status).toBe('ok');
    expectNoSecret('the diagnose answer', JSON.stringify(diag));
  });

  it('cea validate-config --json and cea diagnose --json print no secret', async () => {
    const env = { CEA_TEST_CAM_PW: SECRETS.cameraEnv };
    const validate = spawnCea(['validate-config', agent.configFile, '--json'], { cwd: tmp.dir, env });
    expect((await validate.exited).code).toBe(0);
    cliOutput.validate = `${validate.stdout()}\n${validate.stderr()}`;
    expect(JSON.parse(validate.stdout())).toBeTruthy();
    const diagnose = spawnCea(['diagnose', '--config', agent.configFile, '--json'], { cwd: tmp.dir, env });
    const exit = await diagnose.exited;
    expect([0, 1]).toContain(exit.code); // 1: the refusing camera is a finding
    cliOutput.diagnose = `${diagnose.stdout()}\n${diagnose.stderr()}`;
    const report = JSON.parse(diagnose.stdout()) as Record<string, unknown>;
    expect(JSON.stringify(report)).toContain('refuses'); // it did look at the cameras
    expectNoSecret('cea validate-config', cliOutput.validate);
    expectNoSecret('cea diagnose', cliOutput.diagnose);
  }, 60_000);

  it('the debug log, birth, status, events, health and every answer carry no secret', async () => {
    await plat.call('rebirth', {});
    await waitFor('birth', () => published.some((m) => m.topic === `psv/v1/${SITE}/birth`));
    const log = agent.output();
    expect(log).toMatch(/"level":20/); // debug lines were written, so the check means something
    expect(log.length).toBeGreaterThan(2000);
    expectNoSecret('the agent log', log);
    expectNoSecret('MQTT messages', published.map((m) => `${m.topic} ${m.payload}`).join('\n'));
    expectNoSecret('answers to requests', JSON.stringify(plat.replies));
  });

  it('the database keeps no configured secret; a password inside a camera URI stays only in that camera\'s own inventory record', () => {
    const files = readdirSync(tmp.dir).filter((f) => f.startsWith('agent.db'));
    expect(files).toContain('agent.db');
    const { cameraInUri, ...configured } = SECRETS;
    for (const f of files) {
      const bytes = readFileSync(join(tmp.dir, f)).toString('latin1');
      for (const [name, secret] of Object.entries(configured)) for (const form of forms(secret)) expect(bytes.includes(form), `${f} holds ${name}`).toBe(false);
    }
    // The camera's stream URI is kept as the camera gave it (the agent streams from it), but
    // nothing derived from it — fingerprints, change diffs and reports that go to the
    // platform and into `cea register export` — may carry the password in its query.
    const db = new BetterSqlite3(join(tmp.dir, 'agent.db'), { readonly: true });
    try {
      expect(JSON.stringify(db.prepare('SELECT * FROM inventory_snapshots').all())).toContain(cameraInUri); // it was there to leak
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('inventory_snapshots')").all() as { name: string }[]).map((t) => t.name);
      expect(tables).toContain('fingerprints');
      for (const table of tables) expectNoSecret(`table ${table}`, JSON.stringify(db.prepare(`SELECT * FROM "${table}"`).all()));
    } finally {
      db.close();
    }
  });
});
