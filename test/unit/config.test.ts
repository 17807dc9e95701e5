import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  ProfileError,
  configJsonSchemaText,
  configSchema,
  formatConfigIssue,
  listProfiles,
  loadConfigFile,
  loadProfile,
  parseConfigText,
  resolveConfigObject,
  type ConfigIssue,
  type LoadContext,
  type LoadResult,
} from '../../agent/config/index.js';
import { knownKeysAt } from '../../agent/config/zod-issues.js';
import { packageRoot } from '../../agent/package-root.js';
import { UsageError, type CommandIo } from '../../scripts/cli/command.js';
import { validateConfigCommand } from '../../scripts/commands/validate-config.js';

const root = packageRoot();
const exampleFile = join(root, 'config', 'agent.example.yaml');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cea-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (env: NodeJS.ProcessEnv = {}): LoadContext => ({ env, cwd: dir });

function write(name: string, content: string | Buffer, mode = 0o600): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content, { mode });
  return file;
}

/** 1-based line:col of the first occurrence of `needle` (of its `nth` occurrence when given). */
function posOf(text: string, needle: string, nth = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < nth; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`"${needle}" not in the text`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

function errorsOf(r: LoadResult): ConfigIssue[] {
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.errors;
}

function configOf(r: LoadResult) {
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.errors.map(formatConfigIssue).join('\n')}`);
  return r.config;
}

function load(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfigFile(write('agent.yaml', text), ctx(env));
}

const BASE = `site:
  id: site-1
profile: liaoning-2008
mqtt:
  url: "mqtt://127.0.0.1:1883"
security:
  requireSignedCommands: false
cameras:
  - id: cam-a
    onvif: { url: "http://192.0.2.1/onvif/device_service" }
    location: { kind: street, description: "north gate" }
  - id: cam-b
    onvif:
      url: "http://192.0.2.2/onvif/device_service"
      username: admin
    location: { kind: lobby, description: "main lobby" }
`;

describe('the example and the generated schema', () => {
  test('config/agent.example.yaml validates, with only the documented no-platform-keys warning', () => {
    const r = loadConfigFile(exampleFile, { env: {}, cwd: dir });
    const config = configOf(r);
    expect(config.site.id).toBe('site-0001');
    expect(config.cameras.map((c) => c.id)).toEqual(['gate-north', 'lobby']);
    expect(r.warnings.map((w) => w.path)).toEqual(['security.requireSignedCommands']);
  });

  test('the example mentions every key of the schema', () => {
    const text = readFileSync(exampleFile, 'utf8');
    const missing: string[] = [];
    const walk = (path: (string | number)[]): void => {
      for (const key of knownKeysAt(configSchema, path)) {
        if (!new RegExp(`(^|[\\s{,#-])${key}:`, 'm').test(text)) missing.push([...path, key].join('.'));
        walk([...path, key]);
        walk([...path, key, 0]);
      }
    };
    walk([]);
    expect(missing).toEqual([]);
  });

  test('config/agent.schema.json is the schema generated from the zod schema', () => {
    const committed = readFileSync(join(root, 'config', 'agent.schema.json'), 'utf8');
    // On failure: npm run build && node dist/scripts/gen-config-schema.js
    expect(committed).toBe(configJsonSchemaText());
    const schema = JSON.parse(committed) as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(['site', 'profile']);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('jurisdiction profiles', () => {
  test('liaoning-2008 carries the numbers of the 2008 measures', () => {
    const p = loadProfile('liaoning-2008');
    expect(p.retention).toEqual({ floorDays: 15, vitalHoldDays: 365 });
    expect(p.changeReport).toEqual({ workingDays: 3 });
    expect(p.filing).toEqual({ days: 30, daysExistingSystem: 30 });
    expect(p.sources.some((s) => s.startsWith('Art. 14 (vii)'))).toBe(true);
    expect(p.assumptions).toEqual([]);
  });

  test('datong: 30/60 filing days from Art. 15, the unstated numbers listed as assumptions', () => {
    const p = loadProfile('datong');
    expect(p.filing).toEqual({ days: 30, daysExistingSystem: 60 });
    expect(p.retention.floorDays).toBe(30);
    expect(p.assumptions.map((a) => a.split(' ')[0])).toEqual([
      'retention.floorDays',
      'retention.vitalHoldDays',
      'changeReport.workingDays',
    ]);
  });

  test('unknown names (and path tricks) are refused with the known list', () => {
    expect(listProfiles()).toEqual(['datong', 'liaoning-2008']);
    expect(() => loadProfile('beijing')).toThrow(/unknown profile "beijing" \(known: datong, liaoning-2008\)/);
    expect(() => loadProfile('../agent.example')).toThrow(ProfileError);
  });

  test('a broken profile file is reported in that file, at the offending line', () => {
    const profilesDir = join(dir, 'profiles');
    const text = readFileSync(join(root, 'config', 'profiles', 'liaoning-2008.yaml'), 'utf8').replace(
      'floorDays: 15',
      'floorDays: fifteen',
    );
    const file = write('profiles/liaoning-2008.yaml', text);
    let caught: unknown;
    try {
      loadProfile('liaoning-2008', { profilesDir });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProfileError);
    expect((caught as ProfileError).issues).toEqual([
      { file, ...posOf(text, 'fifteen'), path: 'retention.floorDays', message: 'expected number, received string' },
    ]);
    // Through a config, the profile's own issue comes along with one at `profile:`.
    const r = loadConfigFile(write('agent.yaml', BASE), { env: {}, cwd: dir, profilesDir });
    expect(errorsOf(r).map((e) => [e.file, e.path])).toEqual([
      [join(dir, 'agent.yaml'), 'profile'],
      [file, 'retention.floorDays'],
    ]);
  });
});

describe('loading', () => {
  test('a minimal config gets every default, paths made absolute', () => {
    const r = load('site: { id: s1 }\nprofile: liaoning-2008\nmqtt: { url: "mqtts://platform.example:8883" }\n');
    const c = configOf(r);
    expect(c.source).toBe(join(dir, 'agent.yaml'));
    expect(c.site).toEqual({ id: 's1', name: 's1', timezone: 'Asia/Shanghai' });
    expect(c.profile.id).toBe('liaoning-2008');
    expect(c.mqtt).toEqual({ url: 'mqtts://platform.example:8883', keepaliveSeconds: 30, protocolVersion: 5 });
    expect(c.broker).toBeNull();
    expect(c.security).toEqual({ requireSignedCommands: true, requireSiteBinding: false, platformKeys: [] });
    expect(c.database).toBe(join(dir, 'data', 'agent.db'));
    expect(c.storage).toEqual({ root: join(dir, 'data', 'recordings'), maxBytes: null, deleteAbovePercent: 90, deleteDownToPercent: 85, stopAbovePercent: 97 });
    expect(c.retention).toEqual({ floorDays: 15, ceilingDays: 30 });
    expect(c.discovery).toEqual({ enabled: true, intervalSeconds: 300, port: 3702, targets: [], announcements: true, maxNewDevicesPerHour: 64, maxUnconfiguredDevices: 1024 });
    expect(c.cameras).toEqual([]);
    expect(c.monitor).toEqual({ intervalSeconds: 10, clockSkewLimitSeconds: 5 });
    expect(c.console).toEqual({ listen: '127.0.0.1:8080', language: 'zh-CN' });
    expect(c.live).toEqual({ listen: '127.0.0.1:8090', advertise: '127.0.0.1', tokenTtlSeconds: 300, maxViewersPerCamera: 4 });
    expect(c.filing).toEqual({
      acceptedOn: null,
      inUseSince: null,
      existingSystem: false,
      authority: null,
      operator: null,
      contact: null,
      documents: [],
      filed: null,
    });
  });

  test('the base config loads without warnings; cameras get names and prohibited: false', () => {
    const r = load(BASE);
    const c = configOf(r);
    expect(r.warnings).toEqual([]);
    expect(c.cameras[1]).toEqual({
      id: 'cam-b',
      name: 'cam-b',
      onvif: { url: 'http://192.0.2.2/onvif/device_service', username: 'admin' },
      location: { kind: 'lobby', description: 'main lobby' },
      record: true,
      prohibited: false,
    });
  });

  test('filing: document paths relative to the config file; a missing document is a warning, a bad date an error', () => {
    write('filing/contract.pdf', 'signed');
    const r = load(
      `${BASE}filing:\n  acceptedOn: 2024-05-20\n  inUseSince: 2024-05-01\n  documents:\n    - { kind: contract, path: filing/contract.pdf }\n    - { kind: design_scheme, path: filing/design.pdf, title: 设计方案 }\n  filed: { date: 2024-06-01 }\n`,
    );
    const c = configOf(r);
    expect(c.filing.documents).toEqual([
      { kind: 'contract', path: join(dir, 'filing', 'contract.pdf'), title: null },
      { kind: 'design_scheme', path: join(dir, 'filing', 'design.pdf'), title: '设计方案' },
    ]);
    expect(c.filing.filed).toEqual({ date: '2024-06-01', receiptNo: null });
    expect(r.warnings.map((w) => w.path)).toEqual(['filing.inUseSince', 'filing.documents[1].path']);
    expect(r.warnings[1]?.message).toMatch(/design\.pdf does not exist; cea dossier lists it as missing/);
    const bad = `${BASE}filing:\n  acceptedOn: 2024-02-30\n  documents: [{ kind: invoice, path: x.pdf }]\n`;
    expect(errorsOf(load(bad)).map((e) => [e.path, e.line])).toEqual([
      ['filing.acceptedOn', posOf(bad, '2024-02-30').line],
      ['filing.documents[0].kind', posOf(bad, 'invoice').line],
    ]);
  });

  test('the datong profile raises the default floor to its 30 days', () => {
    const c = configOf(load(BASE.replace('liaoning-2008', 'datong')));
    expect(c.retention).toEqual({ floorDays: 30, ceilingDays: 30 });
  });

  test('with broker: and no mqtt:, the agent connects to its own broker', () => {
    const r = load('site: { id: s1 }\nprofile: liaoning-2008\nbroker: { listen: "0.0.0.0:1884" }\n');
    const c = configOf(r);
    expect(c.broker).toEqual({ listen: '0.0.0.0:1884', anonymousRead: false });
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:1884');
    // The defaulted requireSignedCommands has no line of its own: it points at the document start.
    expect(r.warnings.map((w) => [w.path, w.line])).toEqual([
      ['security.requireSignedCommands', 1],
      ['broker.listen', 3],
    ]);
  });

  test('without mqtt.url and without broker: an error', () => {
    const errors = errorsOf(load('site: { id: s1 }\nprofile: liaoning-2008\nmqtt: { keepaliveSeconds: 10 }\n'));
    expect(errors.map((e) => e.path)).toEqual(['mqtt.url']);
  });

  test('a file that does not exist', () => {
    const errors = errorsOf(loadConfigFile('nope.yaml', ctx()));
    expect(errors).toEqual([{ file: join(dir, 'nope.yaml'), line: 1, column: 1, path: '', message: 'the file does not exist' }]);
  });
});

describe('errors point at the line and column', () => {
  test('unknown top-level key', () => {
    const text = `${BASE}monitr:\n  intervalSeconds: 5\n`;
    expect(errorsOf(load(text))).toEqual([
      {
        file: join(dir, 'agent.yaml'),
        ...posOf(text, 'monitr:'),
        path: 'monitr',
        message: 'unknown key "monitr" (did you mean "monitor"?)',
      },
    ]);
  });

  test('unknown nested key: cameras[1].onvif.pasword', () => {
    const text = BASE.replace('      username: admin\n', '      username: admin\n      pasword: secret\n');
    const [e, ...rest] = errorsOf(load(text));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ ...posOf(text, 'pasword'), path: 'cameras[1].onvif.pasword' });
    expect(e?.message).toContain('did you mean "password"?');
  });

  test('bad type points at the value', () => {
    const text = `${BASE}monitor: { intervalSeconds: often }\n`;
    expect(errorsOf(load(text))).toMatchObject([
      { ...posOf(text, 'often'), path: 'monitor.intervalSeconds', message: 'expected number, received string' },
    ]);
  });

  test('a missing required key points at its parent', () => {
    const text = BASE.replace('  id: site-1\n', '  name: Plaza\n');
    expect(errorsOf(load(text))).toMatchObject([
      { ...posOf(text, 'site:'), path: 'site.id', message: 'missing required key "id"' },
    ]);
  });

  test('retention.floorDays below the profile floor is an error (the law)', () => {
    const text = `${BASE}retention:\n  floorDays: 7\n  ceilingDays: 30\n`;
    const errors = errorsOf(load(text));
    expect(errors).toMatchObject([{ ...posOf(text, '7\n'), path: 'retention.floorDays' }]);
    expect(errors[0]?.message).toMatch(/below the legal floor of 15 days of profile liaoning-2008/);
  });

  test('ceilingDays shorter than floorDays', () => {
    const text = `${BASE}retention: { floorDays: 20, ceilingDays: 16 }\n`;
    expect(errorsOf(load(text))).toMatchObject([{ ...posOf(text, '16'), path: 'retention.ceilingDays' }]);
  });

  test('YAML syntax error', () => {
    const text = `${BASE}monitor: { intervalSeconds: 5\nconsole: {}\n`;
    const errors = errorsOf(load(text));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.line).toBe(posOf(text, 'console').line);
    expect(errors[0]?.column).toBeGreaterThan(0);
  });

  test('a duplicated YAML key points at the repetition', () => {
    const text = BASE.replace('      username: admin\n', '      username: admin\n      username: root\n');
    expect(errorsOf(load(text))).toMatchObject([
      { ...posOf(text, 'username', 2), path: 'cameras[1].onvif.username', message: `duplicate key "username" (first at line ${posOf(text, 'username').line})` },
    ]);
  });

  test('duplicate camera ids', () => {
    const text = BASE.replace('id: cam-b', 'id: cam-a');
    const errors = errorsOf(load(text));
    expect(errors).toMatchObject([{ ...posOf(text, 'cam-a', 2), path: 'cameras[1].id' }]);
    expect(errors[0]?.message).toContain(`first: cameras[0], line ${posOf(text, 'cam-a').line}`);
  });

  test('unknown profile lists the known ones', () => {
    const text = BASE.replace('liaoning-2008', 'liaoning');
    expect(errorsOf(load(text))).toMatchObject([
      { ...posOf(text, 'liaoning'), path: 'profile', message: 'unknown profile "liaoning" (known: datong, liaoning-2008)' },
    ]);
  });

  test('a location kind that could dodge the prohibited list is rejected', () => {
    const text = BASE.replace('kind: lobby', 'kind: Hotel-Room');
    expect(errorsOf(load(text))).toMatchObject([{ ...posOf(text, 'Hotel-Room'), path: 'cameras[1].location.kind' }]);
  });

  test('bad URLs, time zone and listen address', () => {
    const text = BASE.replace('mqtt://127.0.0.1:1883', 'http://127.0.0.1')
      .replace('  id: site-1\n', '  id: site-1\n  timezone: Asia/Beijing\n')
      .replace('http://192.0.2.1/onvif', 'http://admin:pw@192.0.2.1/onvif')
      .concat('console: { listen: "localhost" }\n');
    const errors = errorsOf(load(text));
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['site.timezone', posOf(text, 'Asia/Beijing').line],
      ['mqtt.url', posOf(text, 'http://127').line],
      ['cameras[0].onvif.url', posOf(text, 'admin:pw').line],
      ['console.listen', posOf(text, '"localhost"').line],
    ]);
    expect(errors[1]?.message).toMatch(/unsupported scheme "http"/);
    expect(errors[2]?.message).toMatch(/credentials in the URL/);
  });
});

describe('documents that are not a config', () => {
  test.each([
    ['not UTF-8', Buffer.from([0x73, 0x69, 0x74, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /not valid UTF-8/],
    ['empty', '', /the file is empty/],
    ['only comments', '# nothing here\n', /the file is empty/],
    ['a list at the top', '- site\n- profile\n', /top level must be a YAML mapping/],
    ['a scalar at the top', 'hello\n', /top level must be a YAML mapping/],
  ])('%s: one error at 1:1', (_name, content, message) => {
    const errors = errorsOf(loadConfigFile(write('agent.yaml', content), ctx()));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 1, column: 1, path: '' });
    expect(errors[0]?.message).toMatch(message);
  });
});

describe('prohibited places', () => {
  test('load, with prohibited: true and a warning at location.kind', () => {
    const text = BASE.replace('kind: lobby', 'kind: changing_room');
    const r = load(text);
    const c = configOf(r);
    expect(c.cameras.map((cam) => cam.prohibited)).toEqual([false, true]);
    expect(r.warnings).toMatchObject([{ ...posOf(text, 'changing_room'), path: 'cameras[1].location.kind' }]);
    expect(r.warnings[0]?.message).toMatch(/prohibited/);
  });
});

describe('secrets', () => {
  const withOnvif = (extra: string) => BASE.replace('      username: admin\n', `      username: admin\n${extra}`);

  test('passwordFile is read relative to the config file, without its final newline', () => {
    write('secrets/cam-b.password', 's3cret\n');
    const c = configOf(load(withOnvif('      passwordFile: secrets/cam-b.password\n')));
    expect(c.cameras[1]?.onvif.password).toBe('s3cret');
  });

  test('a passwordFile readable by others is accepted with a warning', () => {
    write('cam-b.password', 's3cret', 0o644);
    const r = load(withOnvif('      passwordFile: cam-b.password\n'));
    expect(configOf(r).cameras[1]?.onvif.password).toBe('s3cret');
    expect(r.warnings.map((w) => w.path)).toEqual(['cameras[1].onvif.passwordFile']);
  });

  test('a missing passwordFile is an error at that key', () => {
    const text = withOnvif('      passwordFile: secrets/none\n');
    const errors = errorsOf(load(text));
    expect(errors).toMatchObject([{ ...posOf(text, 'secrets/none'), path: 'cameras[1].onvif.passwordFile' }]);
    expect(errors[0]?.message).toContain('does not exist');
  });

  test('passwordEnv reads the environment; unset or empty is an error', () => {
    const text = BASE.replace('  url: "mqtt://127.0.0.1:1883"\n', '  url: "mqtt://127.0.0.1:1883"\n  username: box\n  passwordEnv: CEA_MQTT_PW\n');
    expect(configOf(load(text, { CEA_MQTT_PW: 'from-env' })).mqtt).toMatchObject({ username: 'box', password: 'from-env' });
    const unset = errorsOf(load(text, {}));
    expect(unset).toMatchObject([{ ...posOf(text, 'CEA_MQTT_PW'), path: 'mqtt.passwordEnv', message: 'environment variable CEA_MQTT_PW is not set' }]);
    expect(errorsOf(load(text, { CEA_MQTT_PW: '' }))[0]?.message).toBe('environment variable CEA_MQTT_PW is empty');
  });

  test('a password given inline and as a file is an error at the inline one', () => {
    write('pw', 'x');
    const text = withOnvif('      password: inline\n      passwordFile: pw\n');
    const errors = errorsOf(load(text));
    expect(errors).toMatchObject([{ ...posOf(text, 'password: inline'), path: 'cameras[1].onvif.password' }]);
    expect(errors[0]?.message).toMatch(/given 2 ways \(password, passwordFile\)/);
  });
});

describe('files and addresses', () => {
  const ed25519Pem = () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

  test('platform keys: Ed25519 SPKI accepted; missing, RSA and private keys refused', () => {
    write('keys/p1.pub', ed25519Pem());
    write('keys/rsa.pub', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
    write('keys/p1.key', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const keys = (list: string) => BASE.replace('  requireSignedCommands: false\n', `  requireSignedCommands: true\n  platformKeys:\n${list}`);
    const good = configOf(load(keys('    - { id: p1, publicKey: keys/p1.pub }\n')));
    expect(good.security.platformKeys).toEqual([{ id: 'p1', publicKey: join(dir, 'keys', 'p1.pub') }]);

    const text = keys(
      '    - { id: p1, publicKey: keys/none.pub }\n    - { id: p2, publicKey: keys/rsa.pub }\n    - { id: p3, publicKey: keys/p1.key }\n    - { id: p1, publicKey: keys/p1.pub }\n',
    );
    const errors = errorsOf(load(text));
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['security.platformKeys[0].publicKey', posOf(text, 'keys/none.pub').line],
      ['security.platformKeys[1].publicKey', posOf(text, 'keys/rsa.pub').line],
      ['security.platformKeys[2].publicKey', posOf(text, 'keys/p1.key').line],
      ['security.platformKeys[3].id', posOf(text, 'id: p1', 2).line],
    ]);
    expect(errors[0]?.message).toContain('does not exist');
    expect(errors[1]?.message).toContain('not Ed25519');
    expect(errors[2]?.message).toContain('private key');
  });

  test('mqtt TLS files must exist and be certificates / keys; cert needs key', () => {
    write('tls/ca.pem', 'not a certificate\n');
    const text = BASE.replace('mqtt://127.0.0.1:1883', 'mqtts://platform.example:8883').replace(
      '  url: "mqtts://platform.example:8883"\n',
      '  url: "mqtts://platform.example:8883"\n  ca: tls/ca.pem\n  cert: tls/box.pem\n',
    );
    const errors = errorsOf(load(text));
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['mqtt.ca', posOf(text, 'tls/ca.pem').line],
      ['mqtt.cert', posOf(text, 'cert:').line],
      ['mqtt.cert', posOf(text, 'tls/box.pem').line],
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      `${join(dir, 'tls', 'ca.pem')} is not a PEM or DER certificate`,
      'client TLS needs both cert and key; key is missing',
      `${join(dir, 'tls', 'box.pem')} does not exist`,
    ]);
  });

  // openssl is required (.ci/run installs it), not optional: a missing tool must fail, not skip.
  test('mqtt mutual TLS with a real certificate and key; a key of another certificate is refused', () => {
    const selfSigned = (name: string) =>
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
        '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`),
      ], { stdio: 'ignore' });
    selfSigned('box');
    selfSigned('other');
    const tls = (key: string) =>
      BASE.replace('mqtt://127.0.0.1:1883', 'mqtts://platform.example:8883').replace(
        '  url: "mqtts://platform.example:8883"\n',
        `  url: "mqtts://platform.example:8883"\n  ca: ${join(dir, 'box.pem')}\n  cert: box.pem\n  key: ${key}\n`,
      );
    expect(configOf(load(tls('box.key'))).mqtt).toMatchObject({
      ca: join(dir, 'box.pem'),
      cert: join(dir, 'box.pem'),
      key: join(dir, 'box.key'),
    });
    expect(errorsOf(load(tls('other.key')))).toMatchObject([{ path: 'mqtt.key', message: expect.stringContaining('is not the private key of') }]);
  });

  test('listening on every interface is allowed with a warning; console and broker may not share an address', () => {
    const r = load(`${BASE}console: { listen: "[::]:8080" }\n`);
    expect(r.ok).toBe(true);
    expect(r.warnings).toMatchObject([{ path: 'console.listen', message: expect.stringContaining('every network interface') }]);
    const clash = `${BASE}broker: { listen: "0.0.0.0:8080" }\n`;
    expect(errorsOf(load(clash)).map((e) => e.path)).toEqual(['console.listen']);
  });

  test('live relay: a wildcard listen is warned about (and about advertise), advertise is used, a shared port is refused', () => {
    const wild = load(`${BASE}live: { listen: "0.0.0.0:8090" }\n`);
    expect(wild.warnings.map((w) => w.path).sort()).toEqual(['live.advertise', 'live.listen']);
    expect(configOf(wild).live.advertise).toBe('127.0.0.1');
    const adv = configOf(load(`${BASE}live: { listen: "0.0.0.0:8090", advertise: "[fd00::5]", tokenTtlSeconds: 60, maxViewersPerCamera: 1 }\n`));
    expect(adv.live).toEqual({ listen: '0.0.0.0:8090', advertise: 'fd00::5', tokenTtlSeconds: 60, maxViewersPerCamera: 1 });
    expect(errorsOf(load(`${BASE}live: { listen: "127.0.0.1:8080" }\n`)).map((e) => e.path)).toEqual(['live.listen']);
    expect(errorsOf(load(`${BASE}live: { tokenTtlSeconds: 0 }\n`)).map((e) => e.path)).toEqual(['live.tokenTtlSeconds']);
  });

  test('plain mqtt:// to a remote broker is warned about', () => {
    const r = load(BASE.replace('mqtt://127.0.0.1:1883', 'mqtt://platform.example:1883'));
    expect(r.warnings.map((w) => w.path)).toEqual(['mqtt.url']);
  });
});

describe('resolveConfigObject (the built-in demo)', () => {
  const demo = {
    site: { id: 'demo', name: 'Demo' },
    profile: 'liaoning-2008',
    broker: { listen: '127.0.0.1:1883', anonymousRead: true },
    security: { requireSignedCommands: false },
    cameras: [{ id: 'sim-1', onvif: { url: 'http://127.0.0.1:8000/onvif/device_service' }, location: { kind: 'street', description: 'simulated' } }],
  };

  test('loads with the same defaults', () => {
    const r = resolveConfigObject(demo, '<built-in demo>', ctx());
    const c = configOf(r);
    expect(c.source).toBe('<built-in demo>');
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(c.database).toBe(join(dir, 'data', 'agent.db'));
    expect(r.warnings).toEqual([]);
  });

  test('issues carry no position and format without one', () => {
    const errors = errorsOf(resolveConfigObject({ ...demo, retention: { floorDays: 3 } }, '<built-in demo>', ctx()));
    expect(errors).toMatchObject([{ file: '<built-in demo>', line: 0, column: 0, path: 'retention.floorDays' }]);
    expect(formatConfigIssue(errors[0] as ConfigIssue)).toMatch(/^<built-in demo> retention\.floorDays: 3 days is below/);
    expect(formatConfigIssue({ file: 'a.yaml', line: 3, column: 7, path: 'x.y', message: 'bad' })).toBe('a.yaml:3:7 x.y: bad');
  });

  test('parseConfigText names issues after the given file', () => {
    const errors = errorsOf(parseConfigText('site: {}\nprofile: liaoning-2008\n', 'inline.yaml', ctx()));
    expect(errors[0]).toMatchObject({ file: join(dir, 'inline.yaml'), line: 1, column: 1, path: 'site.id' });
  });
});

describe('cea validate-config', () => {
  // CEA_LANG (en from vitest.config.ts) keeps the human framing English; i18n-cli.test.ts covers Chinese.
  function captureIo(env: NodeJS.ProcessEnv = process.env.CEA_LANG ? { CEA_LANG: process.env.CEA_LANG } : {}) {
    const out = { stdout: '', stderr: '' };
    const sink = (key: 'stdout' | 'stderr') =>
      new Writable({
        write(chunk: Buffer | string, _enc, done) {
          out[key] += chunk.toString();
          done();
        },
      });
    const io: CommandIo = { stdout: sink('stdout'), stderr: sink('stderr'), env, cwd: dir };
    return { io, out };
  }

  test('--json on a valid file: exit 0, exactly one JSON document', async () => {
    write('agent.yaml', BASE);
    const { io, out } = captureIo();
    expect(await validateConfigCommand.run(['agent.yaml', '--json'], io)).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ ok: true, file: join(dir, 'agent.yaml'), errors: [], warnings: [] });
  });

  test('--json on an invalid file: exit 2 with positioned errors', async () => {
    const text = `${BASE}retention: { floorDays: 1 }\nmonitr: {}\n`;
    write('agent.yaml', text);
    const { io, out } = captureIo();
    expect(await validateConfigCommand.run(['--json', 'agent.yaml'], io)).toBe(2);
    const doc = JSON.parse(out.stdout) as { ok: boolean; errors: Record<string, unknown>[] };
    expect(doc.ok).toBe(false);
    // The schema stage stops before the semantic one: only the unknown key is reported.
    expect(doc.errors).toEqual([
      { file: join(dir, 'agent.yaml'), ...posOf(text, 'monitr'), path: 'monitr', message: expect.stringContaining('unknown key') },
    ]);
  });

  test('human output: file:line:col path: message, relative to the working directory', async () => {
    const text = BASE.replace('kind: lobby', 'kind: toilet').concat('monitor: { intervalSeconds: 0 }\n');
    write('agent.yaml', text);
    const { io, out } = captureIo();
    expect(await validateConfigCommand.run(['agent.yaml'], io)).toBe(2);
    const { line, column } = posOf(text, '0 }');
    expect(out.stdout.split('\n')[0]).toBe(`agent.yaml:${line}:${column} monitor.intervalSeconds: Too small: expected number to be >=1`);
    expect(out.stdout).toMatch(/agent\.yaml: invalid \(1 error\(s\), 0 warning\(s\)\)\n$/);

    write('agent.yaml', BASE.replace('kind: lobby', 'kind: toilet'));
    const again = captureIo();
    expect(await validateConfigCommand.run(['agent.yaml'], again.io)).toBe(0);
    expect(again.out.stdout).toMatch(/^agent\.yaml:\d+:\d+ cameras\[1\]\.location\.kind: warning: "toilet" is a place where cameras are prohibited/);
  });

  test('an unreadable file is a config error (2); a missing argument is a usage error', async () => {
    const { io, out } = captureIo();
    expect(await validateConfigCommand.run(['missing.yaml', '--json'], io)).toBe(2);
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: false, errors: [{ line: 1, column: 1, message: 'the file does not exist' }] });
    await expect(validateConfigCommand.run([], io)).rejects.toBeInstanceOf(UsageError);
    await expect(validateConfigCommand.run(['a.yaml', 'b.yaml'], io)).rejects.toBeInstanceOf(UsageError);
    await expect(validateConfigCommand.run(['a.yaml', '--jsn'], io)).rejects.toBeInstanceOf(UsageError);
  });

  test('through the built CLI in a child process', () => {
    expect(existsSync(join(root, 'dist', 'scripts', 'cea.js'))).toBe(true); // `npm test` builds first (pretest)
    const good = write('good.yaml', BASE);
    const badText = `${BASE}retention: { floorDays: 14 }\n`;
    const bad = write('bad.yaml', badText);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(root, 'bin', 'cea.js'), 'validate-config', ...args], { cwd: root, encoding: 'utf8' });

    const ok = run(good, '--json');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, errors: [] });

    const ko = run(bad, '--json');
    expect(ko.status).toBe(2);
    expect(JSON.parse(ko.stdout)).toMatchObject({ ok: false, errors: [{ path: 'retention.floorDays', ...posOf(badText, '14') }] });

    expect(run().status).toBe(2);
  });
});
