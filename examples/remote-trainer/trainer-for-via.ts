import { DissonanceError, type ModelRuntime } from '@dissonance/core';
import { remoteTrainer, type RemoteTrainer } from '@dissonance/adapter-remote-trainer';

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

function notWired(via: Via): DissonanceError {
  return new DissonanceError(
    'E_CONFIG',
    `--via ${via}: not wired yet — remoteTrainer's broker transports and the worker's --broker mode are not in this branch; use --via http`,
    { details: { via } },
  );
}

/**
 * The worker's command-line arguments that choose its channel: `--http 0` (a free port, printed once bound)
 * for HTTP. The one place, with {@link trainerForVia}, where the channel is chosen.
 * @throws DissonanceError `E_CONFIG` for a channel not wired yet.
 */
export function workerArgsForVia(via: Via): readonly string[] {
  if (via === 'http') return ['--http', '0'];
  throw notWired(via);
}

/**
 * The `remoteTrainer` that sends jobs to the worker over `via`.
 * @throws DissonanceError `E_CONFIG` for a channel not wired yet, or when the worker gave no URL for HTTP.
 */
export function trainerForVia(via: Via, worker: WorkerEndpoint, settings: JobSettings): RemoteTrainer {
  if (via !== 'http') throw notWired(via);
  if (worker.url === undefined) throw new DissonanceError('E_CONFIG', '--via http: the worker printed no URL');
  return remoteTrainer({
    http: { url: worker.url },
    runtime: settings.runtime,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
  });
}
