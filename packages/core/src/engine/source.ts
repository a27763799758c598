import { DissonanceError, toDissonanceError } from '../errors.js';
import type { Batch } from '../ports/batch.js';
import type { Subscription, Transport } from '../ports/transport.js';
import { decodeBatch } from '../schema/batch-payload.js';
import type { PortHealth } from './health.js';

/** Batches from a queue: envelopes of type `dissonance.batch` on `topic`. */
export interface TransportSource {
  readonly transport: Transport;
  readonly topic: string;
  /** Consumer group (default `dissonance-engine`). */
  readonly group?: string;
  /** Deliveries in flight (default 4). */
  readonly prefetch?: number;
  /** Deliveries before dead-lettering a batch that keeps failing (default 5). */
  readonly maxAttempts?: number;
}

/** What `engine.start()` consumes: any async iterable of batches, or a transport topic. */
export type Source = AsyncIterable<Batch> | TransportSource;

/** A running source. */
export interface SourceHandle {
  /** Resolves when the source is exhausted; a transport source only ends when stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  health(): PortHealth;
}

interface Sink {
  process(batch: Batch): Promise<unknown>;
  onError(error: DissonanceError): void;
}

/** Starts pulling batches from `source` into `sink`. Bad batches are reported, never fatal. */
export function startSource(source: Source, sink: Sink): SourceHandle {
  return Symbol.asyncIterator in source ? startIterable(source, sink) : startTransport(source, sink);
}

function startIterable(source: AsyncIterable<Batch>, sink: Sink): SourceHandle {
  let stopped = false;
  let failure: string | undefined;
  const done = (async () => {
    try {
      for await (const batch of source) {
        if (stopped) break;
        try {
          await sink.process(batch);
        } catch (error) {
          if (error instanceof DissonanceError && error.code === 'E_STOPPED') break;
          sink.onError(toDissonanceError(error, 'E_INPUT', 'source batch refused'));
        }
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      sink.onError(toDissonanceError(error, 'E_INPUT', 'source failed'));
    }
  })();
  return {
    done,
    async stop() {
      stopped = true;
      await done;
    },
    health: () => (failure === undefined ? { ok: true } : { ok: false, error: failure }),
  };
}

function startTransport(source: TransportSource, sink: Sink): SourceHandle {
  let subscription: Subscription | undefined;
  let failure: string | undefined;
  const subscribed = source.transport
    .subscribe(
      source.topic,
      async (delivery) => {
        let batch: Batch;
        try {
          batch = decodeBatch(delivery.envelope.payload);
          await sink.process(batch);
        } catch (error) {
          const wrapped = toDissonanceError(error, 'E_ENVELOPE', `message ${delivery.envelope.id} refused`);
          sink.onError(wrapped);
          await delivery.nack({ error: wrapped.message });
          return;
        }
        // Effects (examples in the store) are durable once process() resolved: ack now.
        await delivery.ack();
      },
      {
        group: source.group ?? 'dissonance-engine',
        prefetch: source.prefetch ?? 4,
        maxAttempts: source.maxAttempts ?? 5,
      },
    )
    .then((s) => {
      subscription = s;
    })
    .catch((error: unknown) => {
      failure = error instanceof Error ? error.message : String(error);
      sink.onError(toDissonanceError(error, 'E_TRANSPORT', `subscribing to ${source.topic} failed`));
    });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= subscribed.then(() => subscription?.close()).finally(resolveDone);
    return stopping;
  };
  return {
    done,
    stop,
    health: () => (failure === undefined ? { ok: true } : { ok: false, error: failure }),
  };
}
