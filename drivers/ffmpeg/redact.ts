// Stream URLs carry camera credentials (rtsp://user:pass@host/…, or ?password=… for some
// vendors). ffmpeg echoes its input URL on stderr ("Input #0, rtsp, from 'rtsp://…'"), so
// every line we keep or log is redacted here first; the logger's scrubber is a second net.
import { REDACTED, scrubText } from '../log/redact.js';

const SECRET_PARAM = /pass|pwd|token|auth|secret|key|sig|login/i;

/** The secret strings inside a URL, in every spelling ffmpeg may print them. */
export function secretsOf(url: string): string[] {
  const out = new Set<string>();
  const add = (s: string | undefined) => {
    if (!s || s.length < 2) return;
    out.add(s);
    out.add(encodeURIComponent(s));
    try {
      out.add(decodeURIComponent(s));
    } catch {
      /* not percent-encoded */
    }
  };
  try {
    const u = new URL(url);
    add(u.password);
    for (const [k, v] of u.searchParams) if (SECRET_PARAM.test(k)) add(v);
  } catch {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:([^/@\s]*)@/i.exec(url);
    add(m?.[1]);
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
}

/** Text with the given secrets and any URL userinfo password removed. */
export function redactText(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) t = t.split(s).join(REDACTED);
  return scrubText(t);
}

/** A URL fit for a log line: no password (the user name stays), secret-looking query values masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    for (const key of [...u.searchParams.keys()]) if (SECRET_PARAM.test(key)) u.searchParams.set(key, 'REDACTED');
    return u.toString();
  } catch {
    return redactText(url, secretsOf(url));
  }
}

/**
 * `uri` with credentials put in, unless it already carries some (ffmpeg percent-decodes them).
 * Every camera stream handed to ffmpeg passes here, so it is also where anything but
 * rtsp(s)/http(s) is refused: ffmpeg would read local files for `file:`, `async:file:`,
 * `concat:` or `pipe:` from a camera's GetStreamUri (also one stored before that was checked).
 */
export function withCredentials(uri: string, username: string | undefined, password: string | undefined): string {
  if (!/^(rtsps?|https?):\/\//i.test(uri)) throw new Error(`refusing stream URI scheme ${redactUrl(uri).split(':')[0]?.slice(0, 32) ?? ''}: not rtsp, rtsps, http or https`);
  if (!username) return uri;
  const u = new URL(uri);
  if (u.username || u.password) return uri;
  u.username = encodeURIComponent(username);
  if (password) u.password = encodeURIComponent(password);
  return u.toString();
}
