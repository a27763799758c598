import { corkUntil } from '@dissonance/core/adapter-kit';
import type { Connection } from 'amqplib';

/**
 * Holds back the writes of `connection`'s socket until the next turn of the event loop's check phase, so that
 * amqplib's next write pass (it moves queued frames to the socket from a `setImmediate`, one `write` per frame)
 * leaves in one `writev` instead of one system call per frame. Call it right after queuing frames (a publish,
 * an ack): amqplib's pass was scheduled by then, so it runs before the uncork scheduled here. Does nothing when
 * the socket cannot be found (amqplib keeps it in the connection's `stream`, which its types do not list).
 */
export function coalesceWrites(connection: Connection): void {
  // amqplib's channel stream signals its write pass from a nextTick queued before this one: the pass's
  // setImmediate is then queued before the uncork.
  corkUntil((connection as { stream?: unknown }).stream, (uncork) => process.nextTick(() => setImmediate(uncork)));
}
