import type {
  ExecutionProvider,
  ExecutionProviderOption,
  ProviderBenchmark,
} from '../../packages/node/src/onnx/index.js';
import type { Throughput } from './measure.js';
import type { TableModelName } from './large-model.js';

/**
 * One row of issue 18's provider table in `--json`: a model on a provider at a batch size, raw onnxruntime-node
 * against the SDK (`OnnxNodeModel.run`), with the SDK's largest |Δ| against the CPU on the same rows.
 */
export interface ProviderRow {
  readonly model: TableModelName;
  /** `64-128-10` or `512-4096-4096-1000`. */
  readonly shape: string;
  /** The provider the sessions ran on (with `--provider auto`: the one `auto` chose for this batch). */
  readonly provider: ExecutionProvider;
  readonly batch: number;
  /** Items/s of a raw `InferenceSession.run` (one reused feeds object), same session options and provider. */
  readonly rawItemsPerSecond: number | null;
  /** Items/s of `OnnxNodeModel.run(x, batch)`. */
  readonly sdkItemsPerSecond: number | null;
  /** `sdkItemsPerSecond / rawItemsPerSecond`. */
  readonly ratio: number | null;
  /** Largest |SDK output − CPU raw output| over the batch's rows (0 on the CPU itself). */
  readonly maxAbsDeltaVsCpu: number | null;
  /** Every trial, for both sides. */
  readonly raw: Throughput | null;
  readonly sdk: Throughput | null;
  /** Why the cell was not measured (`—` in the table): one call took longer than `--cell-limit`. */
  readonly skipped?: string;
}

/** What `--provider auto` chose for one model at one expected batch size. */
export interface AutoChoice {
  readonly model: TableModelName;
  readonly expectedBatch: number;
  readonly provider: ExecutionProvider;
  readonly providerReason: string;
  readonly benchmark: ProviderBenchmark | null;
  /** Milliseconds `loadBytes` took, benchmark included. */
  readonly loadMs: number;
}

/** The `providers` section of `bench/inference --json`. */
export interface ProviderTable {
  readonly requested: ExecutionProviderOption;
  /** Why the runtime chose what it chose (the CPU runtime's reason for `cpu`). */
  readonly providerReason: string;
  readonly models: ReadonlyArray<{ readonly name: TableModelName; readonly shape: string }>;
  readonly batches: readonly number[];
  readonly secondsPerTrial: number;
  readonly cellLimitSeconds: number;
  readonly rows: readonly ProviderRow[];
  /** With `--provider auto`. */
  readonly autoChoices: readonly AutoChoice[];
  /** Environment that decides the accelerators: VK_ICD_FILENAMES, LD_LIBRARY_PATH, NVIDIA_TF32_OVERRIDE. */
  readonly environment: Readonly<Record<string, string | null>>;
}
