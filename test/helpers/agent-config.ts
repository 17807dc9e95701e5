import { join } from 'node:path';
import { resolveConfigObject } from '../../agent/config/index.js';
import type { AgentConfig } from '../../agent/config/types.js';
import type { SimulatedCamera } from '../fakes/onvif-camera/index.js';

/**
 * The config file's content for a test agent (write it as JSON: JSON is YAML): files in
 * `dir`, a broker at `brokerUrl` (MQTT 3.1.1 for aedes), unsigned requests, the live relay
 * and the console on free ports. `over` replaces top-level keys.
 */
export function testConfigObject(dir: string, brokerUrl: string, site: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    site: { id: site, name: `Test ${site}`, timezone: 'Asia/Shanghai' },
    profile: 'liaoning-2008',
    mqtt: { url: brokerUrl, keepaliveSeconds: 5, protocolVersion: 4 },
    security: { requireSignedCommands: false, platformKeys: [] },
    database: join(dir, 'agent.db'),
    storage: { root: join(dir, 'recordings') },
    live: { listen: '127.0.0.1:0' }, // parallel tests: no fixed port
    console: { listen: '127.0.0.1:0' },
    ...over,
  };
}

/** testConfigObject resolved, for in-process tests. */
export function testAgentConfig(dir: string, brokerUrl: string, site: string, over: Record<string, unknown> = {}): AgentConfig {
  const loaded = resolveConfigObject(testConfigObject(dir, brokerUrl, site, over), '<test>', { env: {}, cwd: dir });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

/** The `cameras:` entry for a simulated camera (its own credentials unless `password` overrides). */
export function simulatedCameraEntry(cam: SimulatedCamera, over: { password?: string; record?: boolean; kind?: string } = {}): Record<string, unknown> {
  return {
    id: cam.id,
    name: cam.id,
    onvif: { url: cam.deviceServiceUrl, username: cam.username, password: over.password ?? cam.password },
    location: { kind: over.kind ?? 'street', description: cam.id },
    record: over.record ?? false,
  };
}
