import { fileURLToPath } from 'node:url';
import type { MemoryTransport, Transport } from '../../packages/core/src/index.js';
import type { Broker } from './args.js';
import type { RawBody } from './batch-data.js';
import { openTransport } from './brokers.js';
import type { Hop } from './hop.js';
import { rawAmqpHop } from './raw-amqp.js';
import { rawNatsHop } from './raw-nats.js';
import { rawRedisHop } from './raw-redis.js';
import { sdkHop, type HopSettings } from './sdk-hop.js';
import type { FromSide, SideConfig, ToSide } from './side-worker.js';
import { WorkerProcess } from './worker-process.js';

/** The four measured sides of one hop: the SDK, the SDK transport alone, the raw client, the raw client with SDK frames. */
export type Side = 'sdk' | 'transport' | 'raw' | 'raw-envelope';

/** The topic, queue or stream name of each side under the run's prefix. */
export const SIDE_NAMES: Readonly<Record<Side, string>> = {
  sdk: 'hop',
  transport: 'hop-t',
  raw: 'raw',
  'raw-envelope': 'raw-json',
};

const WORKER = fileURLToPath(new URL('./side-worker.ts', import.meta.url));

/**
 * Opens one side in this process: for the SDK sides a publisher and a consumer transport of their own (`shared`
 * for memory), for the raw sides the raw client loop. Closing the hop closes its transports too.
 */
export async function openSide(
  broker: Broker,
  side: Side,
  prefix: string,
  settings: HopSettings,
  shared?: MemoryTransport,
): Promise<Hop> {
  const name = SIDE_NAMES[side];
  if (side === 'raw' || side === 'raw-envelope') {
    if (broker === 'memory') throw new Error('bench: memory has no raw client');
    const body: RawBody = side === 'raw' ? 'float32' : 'envelope';
    if (broker === 'amqp') return rawAmqpHop(`${prefix}.${name}`, `${prefix}.${name}.g`, settings, body);
    if (broker === 'nats') return rawNatsHop(`${prefix}_${name}`, `${prefix}.${name}`, name, settings, body);
    return rawRedisHop(`${prefix}:${name}`, name, settings, body);
  }
  const publisher = await openTransport(broker, prefix, shared);
  const consumer = await openTransport(broker, prefix, shared);
  const transports: Transport[] = publisher === consumer ? [publisher] : [publisher, consumer];
  const hop = await sdkHop(publisher, consumer, name, 'g', settings, side === 'sdk' ? 'full' : 'transport');
  return {
    run: (messages) => hop.run(messages),
    async close() {
      await hop.close();
      if (shared === undefined) for (const transport of transports) await transport.close();
    },
  };
}

/**
 * One side in a child process of its own (`side-worker.ts`): its own heap, JIT state and connections, as a
 * service using either the SDK or a raw client would run. `run` asks it for one timed run and resolves when
 * the child reports it done (the parent times it; the IPC round trip is well under a millisecond).
 */
export async function spawnSide(
  broker: Exclude<Broker, 'memory'>,
  side: Side,
  prefix: string,
  settings: HopSettings,
): Promise<Hop> {
  const config: SideConfig = {
    broker,
    side,
    prefix,
    rows: settings.workload.rows,
    width: settings.workload.width,
    prefetch: settings.prefetch,
    window: settings.window,
    timeoutMs: settings.timeoutMs,
  };
  const worker = await WorkerProcess.start<ToSide, FromSide>(WORKER, `${broker} ${side}`, config);
  return {
    async run(messages) {
      await worker.request({ type: 'run', messages }, 'ran', settings.timeoutMs + 5000);
    },
    close: () => worker.stop(),
  };
}
