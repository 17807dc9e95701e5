// URLs as cameras hand them out: credentials to strip before logging, and addresses
// that are only valid on the camera's side of a NAT (or plain wrong) to rewrite.

/** Query parameters that carry secrets in vendor snapshot/stream URLs (Foscam usr/pwd, loginpas…). */
const SECRET_PARAM = /pass|pwd|token|auth|secret|key|sig|login/i;

/**
 * The URL without user:password@ and with secret-looking query values masked, for logs
 * and error messages. A string that is not a URL is returned with anything that looks
 * like userinfo removed.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1');
  }
  u.username = '';
  u.password = '';
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) u.searchParams.set(key, 'REDACTED');
  }
  return u.toString();
}

/** Split user:password@ out of a URL (decoded), returning the URL without them. */
export function splitCredentials(url: string): { url: URL; username?: string; password?: string } {
  const u = new URL(url);
  const username = u.username ? safeDecode(u.username) : undefined;
  const password = u.password ? safeDecode(u.password) : undefined;
  u.username = '';
  u.password = '';
  return {
    url: u,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The first usable http(s) URL in an XAddr text. Some devices send several URLs
 * separated by spaces (IPv4 and IPv6), as WS-Discovery XAddrs do.
 */
export function firstHttpUrl(text: string | undefined): URL | null {
  if (!text) return null;
  for (const part of text.trim().split(/\s+/)) {
    try {
      const u = new URL(part);
      if (u.protocol === 'http:' || u.protocol === 'https:') {
        // Our own credentials are used, never ones a device embeds in an address.
        u.username = '';
        u.password = '';
        return u;
      }
    } catch {
      // not a URL: try the next one
    }
  }
  return null;
}

/**
 * A service XAddr made reachable: cameras report their own idea of their address
 * (the internal address behind a NAT or port forward, a stale DHCP address, 0.0.0.0,
 * 127.0.0.1, a default 192.168.1.x). When the reported host differs from the one we
 * reached the device at, scheme, host and port are taken from the device URL and only
 * the path and query are kept. Returns the URL and whether it was rewritten.
 */
export function reachableXAddr(reported: URL, device: URL): { url: URL; rewritten: boolean } {
  if (sameHost(reported.hostname, device.hostname)) return { url: reported, rewritten: false };
  const u = new URL(device.toString());
  u.pathname = reported.pathname;
  u.search = reported.search;
  u.hash = '';
  return { url: u, rewritten: true };
}

/**
 * A media URI (rtsp://, snapshot http://) made reachable: its host is replaced by the
 * device host when it names an address the device reported for itself that we had to
 * rewrite (same NAT), or an address that can never be right from here (loopback,
 * unspecified, link-local). The port is kept: RTSP has its own port forward.
 */
export function reachableMediaUri(uri: string, device: URL, rewrittenHosts: ReadonlySet<string>): string {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return uri;
  }
  const host = bareHost(u.hostname);
  if (sameHost(u.hostname, device.hostname)) return uri;
  if (!rewrittenHosts.has(host) && !isUnusableHost(host)) return uri;
  u.hostname = device.hostname;
  return u.toString();
}

export function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function sameHost(a: string, b: string): boolean {
  return bareHost(a) === bareHost(b);
}

function isUnusableHost(h: string): boolean {
  return (
    h === '' ||
    h === 'localhost' ||
    h === '0.0.0.0' ||
    h === '::' ||
    h === '::1' ||
    /^127\./.test(h) ||
    /^169\.254\./.test(h) ||
    /^fe80:/i.test(h)
  );
}
