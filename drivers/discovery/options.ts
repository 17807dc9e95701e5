// Checking what callers pass: the only reason probe() rejects and the listener's
// constructor throws (typed, with the option named).
import { isIPv4 } from 'node:net';
import { DiscoveryError } from './errors.js';
import { ipv4ToInt } from './interfaces.js';

export interface DiscoveryLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLogger: DiscoveryLogger = { debug() {}, warn() {} };

export function bad(message: string): DiscoveryError {
  return new DiscoveryError('bad_options', message);
}

export function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(`${name} must be an integer from ${min} to ${max} (got ${describe(v)})`);
  }
  return v;
}

export function checkPort(name: string, v: unknown, min = 1): number {
  return checkInt(name, v, min, 65535);
}

export function checkMulticastAddress(v: unknown): string {
  const n = typeof v === 'string' && isIPv4(v) ? ipv4ToInt(v) : null;
  // 224.0.0.0/4
  if (n === null || n >>> 28 !== 0xe) throw bad(`multicastAddress must be an IPv4 multicast address (got ${describe(v)})`);
  return v as string;
}

export function checkInterfaceName(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > 64) throw bad(`interface must be an interface name (got ${describe(v)})`);
  return v;
}

export function checkLogger(v: unknown): DiscoveryLogger {
  if (v === undefined) return silentLogger;
  const l = v as Partial<DiscoveryLogger> | null;
  if (!l || typeof l.debug !== 'function' || typeof l.warn !== 'function') throw bad('logger must have debug() and warn()');
  return l as DiscoveryLogger;
}

export function checkSignal(v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  const s = v as Partial<AbortSignal> | null;
  if (!s || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') throw bad('signal must be an AbortSignal');
  return v as AbortSignal;
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v;
}
