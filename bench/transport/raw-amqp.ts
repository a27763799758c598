import { connect } from 'amqplib';
import { rawBody, rawReceive, type RawBody } from './batch-data.js';
import { URLS } from './brokers.js';
import { Arrivals, publishWindowed, type Hop } from './hop.js';
import type { HopSettings } from './sdk-hop.js';

/**
 * The raw AMQP baseline, amqplib only, with the adapter's durability: a durable fanout exchange bound to one
 * durable queue, persistent messages on a confirm channel (each publish awaits its confirm, `window` at once),
 * and on a second connection a consumer with `prefetch` unacked messages and a manual ack per message. The
 * body is the batch's float32 bytes, or with `body` `envelope` ready-made SDK wire frames.
 */
export async function rawAmqpHop(
  exchange: string,
  queue: string,
  settings: HopSettings,
  body: RawBody = 'float32',
): Promise<Hop> {
  const { workload, prefetch, window } = settings;
  const pubModel = await connect(URLS.amqp);
  const subModel = await connect(URLS.amqp);
  const publisher = await pubModel.createConfirmChannel();
  const channel = await subModel.createChannel();
  await channel.prefetch(prefetch, false);
  await channel.assertExchange(exchange, 'fanout', { durable: true });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, '');
  const arrivals = new Arrivals(settings.timeoutMs);
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      try {
        rawReceive(workload, message.content, body);
      } catch (error) {
        arrivals.fail(error as Error);
        return;
      }
      channel.ack(message);
      arrivals.arrive();
    },
    { noAck: false },
  );
  const publish = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      publisher.publish(exchange, '', rawBody(workload, i, body), { persistent: true }, (error: unknown) => {
        if (error === null || error === undefined) resolve();
        else reject(new Error(`broker refused a message: ${String(error)}`));
      });
    });
  return {
    async run(messages) {
      const done = arrivals.expect(messages);
      await Promise.all([done, publishWindowed(messages, window, publish)]);
    },
    async close() {
      await channel.cancel(consumerTag);
      await subModel.close();
      await pubModel.close();
    },
  };
}
