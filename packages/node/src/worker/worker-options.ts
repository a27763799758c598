import type { DedupStore, Engine, LoadedModel, ModelRegistry, ModelRuntime, Transport } from '@dissonance/core';
import type { ExamplesMessage, PredictionsMessage, ProgressMessage, StageMeta } from './stage-messages.js';

/** The stages a worker process can run. */
export type Stage = 'generate' | 'detect' | 'retrain';

/** Options every stage worker takes. */
export interface CommonWorkerOptions {
  /** Broker the stage reads from and writes to. */
  readonly transport: Transport;
  /** Topic the stage consumes (defaults: `dissonance.items`, `.predictions`, `.examples`). */
  readonly input?: string;
  /** Topic the stage publishes to (defaults: `dissonance.predictions`, `.examples`, `.progress`). */
  readonly output?: string;
  /** Consumer group; workers of one group share the work. Default `dissonance-<stage>`. */
  readonly group?: string;
  /** Deliveries in flight at once (backpressure). Default 1: batches are handled in order. */
  readonly prefetch?: number;
  /** Deliveries before a message is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /**
   * Remembers which input envelopes already had their effect, so a redelivery (after a crash between the
   * effect and the ack) is acked without running again. Use a durable one ({@link FileDedupStore}) across
   * restarts. Default: none (outputs carry ids derived from the input's, so the next stage can dedup).
   */
  readonly dedup?: DedupStore;
}

/** Where the generate stage gets its proposer: a fixed model, or the registry's `champion` alias (hot-swapped). */
export type ProposerSource =
  | { readonly model: LoadedModel }
  | {
      readonly registry: ModelRegistry;
      readonly name: string;
      readonly runtime: ModelRuntime;
      /** Re-read the alias at most this often (ms); 0 = before every batch (a registry read per batch). Default 1000. */
      readonly refreshMs?: number;
    };

/** The generate stage: runs the proposer on every batch of items. */
export interface GenerateWorkerOptions extends CommonWorkerOptions {
  readonly stage: 'generate';
  readonly proposer: ProposerSource;
}

/** The detect + reconcile stage: an engine without a trainer runs the critics, the detector and the gates. */
export interface DetectWorkerOptions extends CommonWorkerOptions {
  readonly stage: 'detect';
  /** Its proposer is never run (outputs come with the message); its critics, detector, gates and labels are. */
  readonly engine: Engine;
  /**
   * Called after a batch is reconciled and before its examples are published (e.g. refit critics at a round's
   * end); meta it returns is merged into the examples message's meta.
   */
  readonly afterBatch?: (
    message: PredictionsMessage,
    examples: ExamplesMessage,
  ) => Promise<StageMeta | void> | StageMeta | void;
}

/** The retrain stage: stores examples in the engine's replay buffer and retrains when told to. */
export interface RetrainWorkerOptions extends CommonWorkerOptions {
  readonly stage: 'retrain';
  /** Its store is the replay buffer; `retrainNow()` trains, validates, registers and promotes. */
  readonly engine: Engine;
  /**
   * Whether to retrain after this message's examples are stored; default: every 100 examples
   * (`examplesSinceRetrain >= 100`).
   */
  readonly retrainWhen?: (meta: StageMeta, examplesSinceRetrain: number) => boolean;
  /** Called before a retrain (e.g. refit the critics the loss measures against). */
  readonly beforeRetrain?: (message: ExamplesMessage) => Promise<void> | void;
  /** Called once examples are stored, before the retrain decision. */
  readonly afterStore?: (message: ExamplesMessage) => Promise<void> | void;
}

/** Options of {@link runWorker}: one stage. */
export type WorkerOptions = GenerateWorkerOptions | DetectWorkerOptions | RetrainWorkerOptions;

/** A running stage worker. */
export interface WorkerHandle {
  readonly stage: Stage;
  /** Input envelopes handled (acked after their effect). */
  readonly handled: number;
  /** Stops consuming and waits for in-flight messages to settle. Does not close the transport or the engine. */
  close(): Promise<void>;
}

/** What a progress report looks like (re-exported for drivers that wait on the retrain stage). */
export type { ProgressMessage };
