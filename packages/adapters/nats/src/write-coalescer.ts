import { corkUntil } from '@dissonance/core/adapter-kit';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Holds back the writes of `connection`'s socket until the event loop's check phase, so that what nats.js
 * flushes for the publishes and acks of every I/O callback of this loop iteration (it writes once per
 * microtask flush) leaves in one `writev` instead of one system call per flush. Does nothing when the socket
 * cannot be found (nats.js keeps it in `connection.protocol.transport.socket`, none of which its types list).
 */
export function coalesceWrites(connection: NatsConnection): void {
  const internals = connection as { protocol?: { transport?: { socket?: unknown } } };
  corkUntil(internals.protocol?.transport?.socket, (uncork) => setImmediate(uncork));
}
