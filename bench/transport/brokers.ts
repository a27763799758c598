import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import { MemoryTransport, type Transport } from '../../packages/core/src/index.js';
import { createAmqpTransport } from '../../packages/adapters/amqp/src/index.js';
import { createNatsTransport } from '../../packages/adapters/nats/src/index.js';
import { createRedisTransport } from '../../packages/adapters/redis/src/index.js';
import type { Broker } from './args.js';

/** Broker addresses: the shared services, overridable by environment. */
export const URLS = {
  amqp: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: process.env.NATS_SERVERS ?? '127.0.0.1:4222',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
} as const;

/**
 * A connected SDK transport of `broker` whose every exchange, queue, subject, stream or key starts with
 * `prefix`. A `memory` transport is only shared within one process, so `memory` returns `shared` when given.
 */
export async function openTransport(broker: Broker, prefix: string, shared?: MemoryTransport): Promise<Transport> {
  switch (broker) {
    case 'memory':
      return shared ?? new MemoryTransport();
    case 'amqp':
      return createAmqpTransport({ url: URLS.amqp, prefix });
    case 'nats':
      return createNatsTransport({ servers: URLS.nats, prefix });
    case 'redis': {
      const transport = await createRedisTransport({ url: URLS.redis, prefix });
      await transport.ping();
      return transport;
    }
  }
}

/** The broker's server version, for the report. */
export async function serverVersion(broker: Broker): Promise<string> {
  switch (broker) {
    case 'memory':
      return 'in process';
    case 'amqp': {
      const model = await amqpConnect(URLS.amqp);
      try {
        const props = model.connection.serverProperties;
        return `${props.product} ${props.version}`;
      } finally {
        await model.close();
      }
    }
    case 'nats': {
      const nc = await natsConnect({ servers: URLS.nats });
      try {
        return `nats-server ${nc.info?.version ?? '?'}`;
      } finally {
        await nc.close();
      }
    }
    case 'redis': {
      const redis = new Redis(URLS.redis);
      try {
        const info = await redis.info('server');
        return `redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
      } finally {
        redis.disconnect();
      }
    }
  }
}

/**
 * Deletes everything the bench declared under `prefix`: AMQP exchanges and queues named `<prefix>.…` (given
 * by name: RabbitMQ has no listing over AMQP), JetStream streams named `<prefix>_…`, Redis keys `<prefix>:…`.
 */
export async function cleanUp(
  broker: Broker,
  prefix: string,
  amqpNames: { queues: string[]; exchanges: string[] },
): Promise<void> {
  switch (broker) {
    case 'memory':
      return;
    case 'amqp': {
      const model = await amqpConnect(URLS.amqp);
      try {
        const channel = await model.createChannel();
        for (const queue of amqpNames.queues) await channel.deleteQueue(queue);
        for (const exchange of amqpNames.exchanges) await channel.deleteExchange(exchange);
        await channel.close();
      } finally {
        await model.close();
      }
      return;
    }
    case 'nats':
      return eachNatsStream(prefix, (jsm, name) => jsm.streams.delete(name));
    case 'redis':
      return eachRedisKey(prefix, async (redis, key) => {
        await redis.del(key);
      });
  }
}

/**
 * Empties what earlier runs left under `prefix` once every message was consumed and acked, so later runs do not
 * pay for a growing store: Redis streams `<prefix>:…` are trimmed to nothing (`XTRIM … MAXLEN 0`; groups keep
 * their positions) and JetStream streams `<prefix>_…` purged. RabbitMQ deletes acked messages itself. Not timed.
 */
export async function trimConsumed(broker: Broker, prefix: string): Promise<void> {
  if (broker === 'nats') await eachNatsStream(prefix, (jsm, name) => jsm.streams.purge(name));
  if (broker === 'redis') {
    await eachRedisKey(prefix, async (redis, key) => {
      if ((await redis.type(key)) === 'stream') await redis.xtrim(key, 'MAXLEN', 0);
    });
  }
}

/** Runs `act` on every JetStream stream named `<prefix>_…`, on a connection of its own. */
async function eachNatsStream(
  prefix: string,
  act: (jsm: JetStreamManager, name: string) => Promise<unknown>,
): Promise<void> {
  const nc = await natsConnect({ servers: URLS.nats });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`)) names.push(name);
    for (const name of names) await act(jsm, name);
  } finally {
    await nc.close();
  }
}

/** Runs `act` on every Redis key `<prefix>:…`, on a connection of its own. */
async function eachRedisKey(prefix: string, act: (redis: Redis, key: string) => Promise<void>): Promise<void> {
  const redis = new Redis(URLS.redis);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    for (const key of keys) await act(redis, key);
  } finally {
    redis.disconnect();
  }
}

/**
 * A JetStream stream like the SDK's (file storage, limits retention) with one durable pull consumer like the
 * SDK's (explicit ack, deliver all, `max_ack_pending` = prefetch), for the raw baseline.
 */
export async function addRawStream(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  durable: string,
  prefetch: number,
): Promise<void> {
  await jsm.streams.add({
    name: stream,
    subjects: [subject],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  });
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000 * 1_000_000,
    max_deliver: -1,
    max_ack_pending: prefetch,
  });
}
