import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { rawBody, rawReceive, type RawBody } from './batch-data.js';
import { addRawStream, URLS } from './brokers.js';
import { Arrivals, publishWindowed, type Hop } from './hop.js';
import type { HopSettings } from './sdk-hop.js';

/**
 * The raw NATS JetStream baseline, @nats-io/jetstream only, with the adapter's durability: a file-storage stream,
 * `js.publish` awaiting each JetStream ack (`window` at once), and on a second connection a durable pull
 * consumer (explicit ack, `max_ack_pending` = prefetch) read with `consume({ max_messages: prefetch })` and acked
 * per message. As the adapter does, each publish carries a `Nats-Msg-Id` (JetStream's deduplication, work the
 * server does per message) and both connections use `noAsyncTraces`. The body is the batch's float32 bytes, or
 * with `body` `envelope` ready-made SDK wire frames.
 */
export async function rawNatsHop(
  stream: string,
  subject: string,
  durable: string,
  settings: HopSettings,
  body: RawBody = 'float32',
): Promise<Hop> {
  const { workload, prefetch, window } = settings;
  // The connection option the SDK's connections use (no Error built per request up front).
  const pubConnection = await connect({ servers: URLS.nats, noAsyncTraces: true });
  const subConnection = await connect({ servers: URLS.nats, noAsyncTraces: true });
  await addRawStream(await jetstreamManager(pubConnection), stream, subject, durable, prefetch);
  const js = jetstream(pubConnection);
  const consumer = await jetstream(subConnection).consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: prefetch });
  const arrivals = new Arrivals(settings.timeoutMs);
  const loop = (async () => {
    for await (const msg of messages) {
      try {
        rawReceive(workload, msg.data, body);
      } catch (error) {
        arrivals.fail(error as Error);
        continue;
      }
      msg.ack();
      arrivals.arrive();
    }
  })();
  return {
    async run(count) {
      const done = arrivals.expect(count);
      await Promise.all([
        done,
        publishWindowed(count, window, async (i) => {
          await js.publish(subject, rawBody(workload, i, body), { msgID: globalThis.crypto.randomUUID() });
        }),
      ]);
    },
    async close() {
      await messages.close();
      await loop;
      await subConnection.close();
      await pubConnection.close();
    },
  };
}
