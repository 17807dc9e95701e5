// "host:port" listen addresses (console, embedded broker). IPv6 hosts are bracketed.

export interface ListenAddress {
  /** Without brackets: "127.0.0.1", "::1", "box.local". */
  host: string;
  port: number;
}

/** `anyPort`: port 0 asks the system for a free one (the live relay: its URL carries the real port). */
export function parseListen(text: string, opts: { anyPort?: boolean } = {}): ListenAddress | { error: string } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(text);
  if (!m) return { error: `"${text}" is not host:port (IPv6 in brackets: "[::1]:8080")` };
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if ((port < 1 && !(opts.anyPort && port === 0)) || port > 65535) return { error: `port ${port} is outside 1–65535` };
  return { host, port };
}

/** Binds every interface: reachable from the whole network. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || /^[0:]+$/.test(host);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** "host:port" again, bracketing IPv6; a wildcard becomes the matching loopback (to connect to it). */
export function connectAddress({ host, port }: ListenAddress): string {
  const target = host === '0.0.0.0' ? '127.0.0.1' : isWildcardHost(host) ? '::1' : host;
  return target.includes(':') ? `[${target}]:${port}` : `${target}:${port}`;
}
