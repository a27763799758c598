import { DissonanceError, type Transport } from '@dissonance/core';
import type * as AmqpAdapter from '@dissonance/adapter-amqp';
import type * as NatsAdapter from '@dissonance/adapter-nats';
import type * as RedisAdapter from '@dissonance/adapter-redis';

/** The brokers the distributed demo runs over. */
export type BrokerKind = 'amqp' | 'nats' | 'redis';

/** The brokers, for option checking. */
export const BROKER_KINDS: readonly BrokerKind[] = ['amqp', 'nats', 'redis'];

/** Default URL of each broker on a developer machine. */
export const DEFAULT_BROKER_URLS: Readonly<Record<BrokerKind, string>> = {
  amqp: 'amqp://guest:guest@127.0.0.1:5672',
  nats: '127.0.0.1:4222',
  redis: 'redis://127.0.0.1:6379',
};

// Adapter packages are optional peers of @dissonance/cli: loaded by name only when asked for, typed from their
// own exports (type-only imports: nothing is loaded at startup).
type AmqpModule = typeof AmqpAdapter;
type NatsModule = typeof NatsAdapter;
type RedisModule = typeof RedisAdapter;

async function load<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw new DissonanceError('E_CONFIG', `the ${name} package is needed for this broker: npm install ${name}`, {
      cause: error,
    });
  }
}

/**
 * Connects the transport adapter of `kind` (`@dissonance/adapter-amqp`, `-nats` or `-redis`, loaded on demand)
 * with every topic under `prefix`, so runs do not see each other's messages.
 */
export async function connectBroker(kind: BrokerKind, prefix: string, url?: string): Promise<Transport> {
  const target = url ?? DEFAULT_BROKER_URLS[kind];
  switch (kind) {
    case 'amqp':
      return (await load<AmqpModule>('@dissonance/adapter-amqp')).createAmqpTransport({ url: target, prefix });
    case 'nats':
      // Live handlers keep their messages fresh (in-progress acks); a killed worker's come back after 5 s.
      return (await load<NatsModule>('@dissonance/adapter-nats')).createNatsTransport({
        servers: target,
        prefix,
        ackWaitMs: 5_000,
      });
    case 'redis':
      // A restarted worker reclaims what its killed predecessor held after 2 s instead of 30.
      return (await load<RedisModule>('@dissonance/adapter-redis')).createRedisTransport({
        url: target,
        prefix,
        claimIdleMs: 2_000,
      });
  }
}
