import type { Server } from 'node:net';

/**
 * Listeners handed over by egress relays, by the proxy socket they stand for. A relay started over an
 * IPC channel (bwrap, none) opens its 127.0.0.1 port in the sandbox's network namespace, sends the
 * listening socket to the warden and closes its own copy before the server runs: the warden's proxy then
 * accepts the sandbox's connections itself, with no relay process and no second copy of every byte.
 * The proxy listening on a socket registers here; the launcher that receives a listener delivers it.
 */
const adopters = new Map<string, (listener: Server) => void>();

/** `adopt` takes the listeners handed over for `socketPath` until the returned function is called. */
export function acceptHandoffs(socketPath: string, adopt: (listener: Server) => void): () => void {
  adopters.set(socketPath, adopt);
  return () => {
    if (adopters.get(socketPath) === adopt) adopters.delete(socketPath);
  };
}

/**
 * Give `listener` (received from a relay) to the proxy of `socketPath`. Without one (it closed, or
 * never listened), the listener is closed: the sandbox's connections are then refused, never left
 * hanging. Returns whether a proxy took it.
 */
export function deliverHandoff(socketPath: string, listener: Server): boolean {
  const adopt = adopters.get(socketPath);
  if (adopt === undefined) {
    listener.close();
    return false;
  }
  adopt(listener);
  return true;
}

/** The message a relay sends with its listener (the listening socket travels as the message's handle). */
export const HANDOFF_MESSAGE = 'mcp-warden-egress-listener';
