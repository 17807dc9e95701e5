// dgram plumbing shared by probe and listener. Every socket gets its permanent 'error'
// listener before anything can fail, so an error is logged, never thrown at the process.
import { createSocket, type Socket } from 'node:dgram';
import { DiscoveryError } from './errors.js';

export async function openUdpSocket(
  address: string,
  port: number,
  opts: { reuseAddr?: boolean; onError: (err: Error) => void },
): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: opts.reuseAddr ?? false });
  let bound = false;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', (err) => {
      if (bound) opts.onError(err);
      else reject(new DiscoveryError('bind_failed', `cannot bind udp ${address}:${port}: ${err.message}`, { cause: err }));
    });
    try {
      socket.bind({ address, port, exclusive: true }, () => {
        bound = true;
        resolve();
      });
    } catch (err) {
      reject(new DiscoveryError('bind_failed', `cannot bind udp ${address}:${port}: ${(err as Error).message}`, { cause: err }));
    }
  }).catch(async (err: unknown) => {
    await closeUdpSocket(socket);
    throw err;
  });
  return socket;
}

export function closeUdpSocket(socket: Socket | null): Promise<void> {
  if (!socket) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed or never bound
    }
  });
}

/** Send without ever throwing; resolves with the error, if any. */
export function sendUdp(socket: Socket, data: Buffer, port: number, host: string): Promise<Error | null> {
  return new Promise((resolve) => {
    try {
      socket.send(data, port, host, (err) => resolve(err ?? null));
    } catch (err) {
      resolve(err as Error);
    }
  });
}

/**
 * The local address the kernel would send from to reach host:port (a connected UDP
 * socket sends nothing, it only consults the routing table). null when there is no route.
 */
export async function localAddressFor(host: string, port: number): Promise<string | null> {
  const s = createSocket('udp4');
  s.on('error', () => {}); // reported through connect's callback below
  try {
    return await new Promise<string | null>((resolve) => {
      try {
        s.connect(port, host, (err?: Error) => {
          if (err) return resolve(null);
          try {
            resolve(s.address().address);
          } catch {
            resolve(null);
          }
        });
      } catch {
        resolve(null);
      }
    });
  } finally {
    await closeUdpSocket(s);
  }
}
