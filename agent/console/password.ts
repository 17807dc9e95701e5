// Operator passwords: scrypt with a random salt, stored as `scrypt$N$r$p$salt$hash`
// (base64). Hashing runs on libuv's thread pool (async scrypt), so a login never stalls
// the event loop that also carries MQTT keepalives and the watchdog.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** 2^15 × r 8 → 32 MiB and roughly 50–150 ms on a small box: slow for a guesser, fine for a login. */
export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** A tampered hash must not make a login allocate gigabytes. */
const MAX_N = 2 ** 20;

export const MIN_PASSWORD_LENGTH = 10;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, keyBytes: number): Promise<Buffer> {
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): Parsed | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0 && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16;
  if (!ok) return null;
  const salt = Buffer.from(parts[4] as string, 'base64');
  const key = Buffer.from(parts[5] as string, 'base64');
  if (salt.length < 8 || key.length < 16) return null;
  return { N, r, p, salt, key };
}

// Stands in for the hash of a user that does not exist (or whose stored hash is unreadable),
// so that "no such user" costs the same scrypt as "wrong password".
let dummy: Promise<Parsed> | null = null;
function dummyHash(): Promise<Parsed> {
  dummy ??= hashPassword(randomBytes(18).toString('base64')).then((h) => parseHash(h) as Parsed);
  return dummy;
}

/**
 * True when `password` matches `stored`. `stored` null (unknown user) or malformed is
 * checked against a dummy hash with the default cost and is always false, taking as long.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = stored === null ? null : parseHash(stored);
  const target = parsed ?? (await dummyHash());
  const key = await derive(password, target.salt, target, target.key.length);
  const same = key.length === target.key.length && timingSafeEqual(key, target.key);
  return same && parsed !== null;
}

export const MAX_PASSWORD_LENGTH = 1024;

/** Why a new password is refused, or null. Length is counted in characters, not bytes. */
export function passwordProblem(password: string): 'empty' | 'short' | 'long' | null {
  const length = [...password].length;
  if (length === 0) return 'empty';
  if (length < MIN_PASSWORD_LENGTH) return 'short';
  if (length > MAX_PASSWORD_LENGTH) return 'long';
  return null;
}
