// Secrets must never reach a log line (Liaoning Art. 8: images and the means to reach
// them are private). pino's path redaction covers known keys; values are scrubbed too,
// because a secret can hide inside a string (rtsp://admin:pw@host, "Authorization: Digest …").

/** Keys whose values are always secret, wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'password',
  'passphrase',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'privateKey',
  'key',
  'sig',
  'nonce',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
] as const;

/** pino redact paths: the keys at the top level and up to three levels deep. */
export function secretRedactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const dot = k.startsWith('[') ? '' : '.';
    paths.push(k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`);
  }
  return paths;
}

export const REDACTED = '[redacted]';

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi;
const AUTH_HEADER = /\b(authorization|proxy-authorization)\s*[:=]\s*("?)(basic|digest|bearer)\s+[^\r\n"]*/gi;
const KEY_VALUE = /\b(password|passwd|token|secret|apikey)(\s*[=:]\s*)("?)[^\s"&,;]+/gi;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** Remove credentials embedded in free text. */
export function scrubText(text: string): string {
  return text
    .replace(PEM, REDACTED)
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
    .replace(AUTH_HEADER, (_m, name: string, q: string, scheme: string) => `${name}: ${q}${scheme} ${REDACTED}`)
    .replace(KEY_VALUE, (_m, name: string, sep: string, q: string) => `${name}${sep}${q}${REDACTED}`);
}

/** Deep copy of a value with every string scrubbed; cycles and depth are bounded. */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    // Keep errors readable for pino's err serializer, but scrubbed.
    const copy: Record<string, unknown> = { type: value.name, message: scrubText(value.message) };
    if (value.stack) copy.stack = scrubText(value.stack);
    for (const [k, v] of Object.entries(value)) copy[k] = scrubValue(v, depth + 1, seen);
    return copy;
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth + 1, seen);
  return out;
}
