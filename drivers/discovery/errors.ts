// Typed errors of the WS-Discovery driver. Nothing a device sends ever becomes one of
// these: bad datagrams are dropped and counted. They describe the caller's options and
// the local host (no such interface, port taken, no multicast).

export type DiscoveryErrorCode =
  /** An option is out of range or of the wrong kind. */
  | 'bad_options'
  /** The named interface does not exist or has no IPv4 address. */
  | 'unknown_interface'
  /** The named interface is down. */
  | 'interface_down'
  /** No interface is up, multicast-capable and IPv4 (listener only: it has nothing to join). */
  | 'no_interface'
  /** A socket could not be bound (port taken, address gone). */
  | 'bind_failed'
  /** The multicast group could not be joined on any interface. */
  | 'multicast_unavailable'
  /** A socket reported an error after it was set up. */
  | 'socket_error';

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  constructor(
    readonly code: DiscoveryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
