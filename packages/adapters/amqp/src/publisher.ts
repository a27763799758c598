import type { Options } from 'amqplib';
import { DissonanceError, type Envelope } from '@dissonance/core';
import type { WireFormat } from '@dissonance/core/adapter-kit';
import { delay, errorText } from './backoff.js';
import { WIRE_CONTENT_TYPE, encodeEnvelope } from './codec.js';
import type { AmqpLink, Session } from './link.js';
import { retryQueueName } from './names.js';
import { coalesceWrites } from './write-coalescer.js';

/** How long an unused retry queue outlives its delay before the broker deletes it, in milliseconds. */
const RETRY_QUEUE_GRACE_MS = 60_000;

/**
 * Runs `work` on the live session and retries it on a later session when the connection fails under it,
 * until `timeoutMs` has passed: then `E_TRANSPORT`. A retried publish may reach the broker twice.
 */
export async function withSession(
  link: AmqpLink,
  timeoutMs: number,
  work: (session: Session) => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const session = await link.session(Math.max(1, deadline - Date.now()));
    try {
      await work(session);
      return;
    } catch (error) {
      if (error instanceof DissonanceError) throw error;
      link.fail(session, errorText(error));
      if (Date.now() >= deadline) {
        throw new DissonanceError('E_TRANSPORT', `AMQP publish failed: ${errorText(error)}`, { cause: error });
      }
      await delay(20);
    }
  }
}

/** Declares the durable fanout exchange `name` once per connection. */
export async function declareExchange(session: Session, name: string): Promise<void> {
  const key = `exchange:${name}`;
  if (session.declared.has(key)) return;
  await session.publisher.assertExchange(name, 'fanout', { durable: true });
  session.declared.add(key);
}

/**
 * Declares (and so renews) the durable TTL queue that holds messages of `groupQueue` for `delayMs`, then
 * dead-letters them back to `groupQueue` through the default exchange. Returns its name.
 */
export async function declareRetryQueue(session: Session, groupQueue: string, delayMs: number): Promise<string> {
  const name = retryQueueName(groupQueue, delayMs);
  await session.publisher.assertQueue(name, {
    durable: true,
    messageTtl: delayMs,
    deadLetterExchange: '',
    deadLetterRoutingKey: groupQueue,
    expires: delayMs + RETRY_QUEUE_GRACE_MS,
  });
  return name;
}

/** Publishes `envelope` persistently as a wire frame of `format`, resolving once the broker confirmed it. */
export function publishConfirmed(
  session: Session,
  exchange: string,
  routingKey: string,
  envelope: Envelope,
  format: WireFormat,
): Promise<void> {
  const body = encodeEnvelope(envelope, format);
  const properties: Options.Publish = {
    persistent: true,
    contentType: WIRE_CONTENT_TYPE,
    messageId: envelope.id,
    type: envelope.type,
    timestamp: Math.floor(Date.now() / 1000),
  };
  return new Promise((resolve, reject) => {
    try {
      session.publisher.publish(exchange, routingKey, body, properties, (error: unknown) => {
        if (error === null || error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(`broker refused the message: ${errorText(error)}`));
      });
      coalesceWrites(session.model.connection);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(errorText(error)));
    }
  });
}
