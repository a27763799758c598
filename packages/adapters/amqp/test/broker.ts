import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { DISRUPTION_LOCKS, exclusiveLock } from '../../../../test/support/exclusive-lock.js';

const run = promisify(execFile);

/** The broker the integration tests use. */
export const BROKER_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function names(kind: 'list_queues' | 'list_exchanges', prefix: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', [kind, 'name', '-q', '--no-table-headers']);
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name.startsWith(`${prefix}.`));
}

/** Deletes every queue and exchange whose name starts with `<prefix>.`. */
export async function purgePrefix(prefix: string): Promise<void> {
  const [queues, exchanges] = await Promise.all([names('list_queues', prefix), names('list_exchanges', prefix)]);
  if (queues.length === 0 && exchanges.length === 0) return;
  const model = await connect(BROKER_URL);
  try {
    const channel = await model.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await model.close();
  }
}

/** Name of the lock a test holds while it drops every RabbitMQ connection, or while it needs them undisturbed. */
export const RABBITMQ_DISRUPTION_LOCK = DISRUPTION_LOCKS.rabbitmq;

/**
 * Drops every client connection, as `rabbitmqctl close_all_connections` does in production incidents, holding
 * {@link RABBITMQ_DISRUPTION_LOCK} so tests that need their connections undisturbed never overlap.
 */
export async function closeAllConnections(): Promise<void> {
  const release = await exclusiveLock(RABBITMQ_DISRUPTION_LOCK);
  try {
    await run('rabbitmqctl', ['close_all_connections', 'dissonance fault test']);
  } finally {
    release();
  }
}

/** Publishes raw bytes to an exchange, bypassing the transport (for undecodable messages). */
export async function publishRaw(exchange: string, body: Buffer): Promise<void> {
  const model = await connect(BROKER_URL);
  try {
    const channel = await model.createConfirmChannel();
    channel.publish(exchange, '', body, { persistent: true });
    await channel.waitForConfirms();
    await channel.close();
  } finally {
    await model.close();
  }
}
