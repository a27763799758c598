import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';

/** Milliseconds to nanoseconds, the unit of JetStream durations. */
const NANOS_PER_MS = 1_000_000;

/**
 * Makes sure stream `name` exists, capturing `subject` in file storage. An existing stream is used as it is
 * (created by an earlier run, another process, or an operator with their own limits).
 */
export async function ensureStream(jsm: JetStreamManager, name: string, subject: string): Promise<void> {
  if (await exists(() => jsm.streams.info(name), JetStreamApiCodes.StreamNotFound)) return;
  try {
    await jsm.streams.add({
      name,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
    });
  } catch (error) {
    // Another process may have created it in between.
    if (!(await exists(() => jsm.streams.info(name), JetStreamApiCodes.StreamNotFound))) throw error;
  }
}

/** Settings of a group's durable consumer. */
export interface ConsumerSettings {
  readonly maxAckPending: number;
  readonly ackWaitMs: number;
}

/**
 * Makes sure the group's durable pull consumer exists on `stream`, with explicit acks, delivery from the start
 * of the stream, and `max_ack_pending` = prefetch (updated when a subscriber asks for another value).
 * `max_deliver` stays unlimited: the adapter counts attempts and dead-letters itself, so a message whose
 * dead-lettering failed is delivered again rather than dropped by the server.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  settings: ConsumerSettings,
): Promise<void> {
  const ackWait = settings.ackWaitMs * NANOS_PER_MS;
  const current = await find(() => jsm.consumers.info(stream, durable), JetStreamApiCodes.ConsumerNotFound);
  if (current !== undefined) {
    if (current.config.max_ack_pending !== settings.maxAckPending || current.config.ack_wait !== ackWait) {
      await jsm.consumers.update(stream, durable, { max_ack_pending: settings.maxAckPending, ack_wait: ackWait });
    }
    return;
  }
  try {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWait,
      max_deliver: -1,
      max_ack_pending: settings.maxAckPending,
    });
  } catch (error) {
    if ((await find(() => jsm.consumers.info(stream, durable), JetStreamApiCodes.ConsumerNotFound)) === undefined)
      throw error;
  }
}

async function exists(lookup: () => Promise<unknown>, notFound: number): Promise<boolean> {
  return (await find(lookup, notFound)) !== undefined;
}

async function find<T>(lookup: () => Promise<T>, notFound: number): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === notFound) return undefined;
    throw error;
  }
}
