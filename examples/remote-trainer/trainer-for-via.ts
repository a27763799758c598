import { remoteTrainer, type RemoteTrainer } from '@dissonance/adapter-remote-trainer';
import { DissonanceError, type ModelRuntime } from '@dissonance/core';
import { connectBroker, DEFAULT_BROKER_URLS } from '../../packages/cli/src/demo/distributed/broker.js';

/** How jobs travel between the engine and the Python worker. */
export type Via = 'http' | 'amqp' | 'nats' | 'redis';

/** Every `--via` value. */
export const VIAS: readonly Via[] = ['http', 'amqp', 'nats', 'redis'];

/** What the worker was started with, and where it can be reached. */
export interface WorkerEndpoint {
  /** The worker's base URL (`--via http`). */
  readonly url?: string;
}

/** Job handling of the example's trainers (the same for every channel). */
export interface JobSettings {
  readonly runtime: ModelRuntime;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryDelayMs: number;
}

/** A trainer with what it opened: close it when done (its result subscription, then its broker connection). */
export interface ViaTrainer {
  readonly trainer: RemoteTrainer;
  close(): Promise<void>;
}

/** The local brokers (the project's services; `AMQP_URL`, `NATS_URL`, `REDIS_URL` override them). */
function brokerUrl(via: Exclude<Via, 'http'>): string {
  const url = process.env[`${via.toUpperCase()}_URL`] ?? DEFAULT_BROKER_URLS[via];
  // The worker's --broker needs the scheme; the NATS default is a bare host:port.
  return url.includes('://') ? url : `${via}://${url}`;
}

/**
 * The example's own topics (under the transports' default `dissonance` prefix), so its jobs never meet a
 * deployment's. Fixed names: a crashed run's leftover jobs are past their deadline and the worker drops them.
 */
const JOBS_TOPIC = 'example.train.jobs';
const RESULTS_TOPIC = 'example.train.results';
const GROUP = 'remote-trainer-example';

/**
 * The worker's command-line arguments that choose its channel: `--http 0` (a free port, printed once bound)
 * for HTTP, `--broker URL` with the example's topics otherwise. The one place, with {@link trainerForVia},
 * where the channel is chosen.
 */
export function workerArgsForVia(via: Via): readonly string[] {
  if (via === 'http') return ['--http', '0'];
  return ['--broker', brokerUrl(via), '--jobs-topic', JOBS_TOPIC, '--results-topic', RESULTS_TOPIC];
}

/**
 * The `remoteTrainer` that sends jobs to the worker over `via` (start the worker first: RabbitMQ and Redis keep
 * a job only once the workers' queue or group exists).
 * @throws DissonanceError `E_CONFIG` when the worker gave no URL for HTTP; the transport's error when the broker
 * cannot be reached.
 */
export async function trainerForVia(via: Via, worker: WorkerEndpoint, settings: JobSettings): Promise<ViaTrainer> {
  const common = {
    runtime: settings.runtime,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
  };
  if (via === 'http') {
    if (worker.url === undefined) throw new DissonanceError('E_CONFIG', '--via http: the worker printed no URL');
    const trainer = remoteTrainer({ http: { url: worker.url }, ...common });
    return { trainer, close: () => trainer.close() };
  }
  // The transports' default `dissonance` prefix, as the worker's `--prefix` default.
  const transport = await connectBroker(via, 'dissonance', brokerUrl(via));
  const trainer = remoteTrainer({
    transport: { transport, jobsTopic: JOBS_TOPIC, resultsTopic: RESULTS_TOPIC, group: GROUP },
    ...common,
  });
  return {
    trainer,
    close: async () => {
      await trainer.close();
      await transport.close();
    },
  };
}
