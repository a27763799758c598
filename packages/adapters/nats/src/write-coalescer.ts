import type { NatsConnection } from '@nats-io/transport-node';

/** Sockets corked until the event loop's next check phase. */
const corked = new WeakSet<object>();

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** nats.js's socket: `connection.protocol.transport.socket` (none of which its types list). */
function socketOf(connection: NatsConnection): Partial<Corkable> | undefined {
  const internals = connection as { protocol?: { transport?: { socket?: Partial<Corkable> } } };
  return internals.protocol?.transport?.socket;
}

/**
 * Holds back the writes of `connection`'s socket until the event loop's check phase, so that what nats.js
 * flushes for the publishes and acks of every I/O callback of this loop iteration (it writes once per
 * microtask flush) leaves in one `writev` instead of one system call per flush. Does nothing when the socket
 * cannot be found (nats.js keeps it in internals its types do not list).
 */
export function coalesceWrites(connection: NatsConnection): void {
  const socket = socketOf(connection);
  if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function' || corked.has(socket)) return;
  const stream = socket as Corkable;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
