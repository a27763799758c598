import type { Connection } from 'amqplib';

/** Sockets corked until amqplib's next write pass. */
const corked = new WeakSet<object>();

interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds back the writes of `connection`'s socket until the next turn of the event loop's check phase, so that
 * amqplib's next write pass (it moves queued frames to the socket from a `setImmediate`, one `write` per frame)
 * leaves in one `writev` instead of one system call per frame. Call it right after queuing frames (a publish,
 * an ack): amqplib's pass was scheduled by then, so it runs before the uncork scheduled here. Does nothing when
 * the socket cannot be found (amqplib keeps it in the connection's `stream`, which its types do not list).
 */
export function coalesceWrites(connection: Connection): void {
  const socket = (connection as { stream?: Partial<Corkable> }).stream;
  if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function' || corked.has(socket)) return;
  const stream = socket as Corkable;
  corked.add(stream);
  stream.cork();
  // amqplib's channel stream signals its write pass from a nextTick queued before this one: the pass's
  // setImmediate is then queued before the uncork.
  process.nextTick(() =>
    setImmediate(() => {
      corked.delete(stream);
      stream.uncork();
    }),
  );
}
