import * as ort from 'onnxruntime-node';
import {
  OnnxNodeRuntime,
  type ExecutionProvider,
  type ExecutionProviderOption,
  type OnnxNodeModel,
} from '../../packages/node/src/onnx/index.js';
import type { AutoChoice, ProviderRow, ProviderTable } from './json-report.js';
import {
  shapeOf,
  TABLE_MODELS,
  tableModelBytes,
  tableRows,
  type TableModel,
  type TableModelName,
} from './large-model.js';
import { compare } from './measure.js';
import { rawSessionOptions } from './models.js';

/** Options of {@link runProviderTable} (from the bench's command line). */
export interface ProviderTableOptions {
  readonly provider: ExecutionProviderOption;
  readonly models: readonly TableModelName[];
  readonly batches: readonly number[];
  readonly seconds: number;
  /** Skip a cell when one call takes longer than this many seconds. */
  readonly cellLimitSeconds: number;
  readonly threads: number | 'auto' | undefined;
  /** onnxruntime's spinning worker threads for every session (`--allow-spinning`; the SDK's default is off). */
  readonly allowSpinning?: boolean;
}

const fmt = (n: number | null): string => (n === null ? '—' : Math.round(n).toLocaleString('en-US'));

/**
 * Issue 18's table: for each model (64-128-10, 512-4096-4096-1000) and batch size, items/s of a raw
 * onnxruntime-node session against the SDK's `OnnxNodeModel.run` on the requested provider, their ratio, and
 * the SDK's largest |Δ| against a raw CPU session on the same rows. With `auto`, each (model, batch) gets its
 * own runtime with `expectedBatch` = that batch, and the row is measured on the provider it chose.
 */
export async function runProviderTable(
  options: ProviderTableOptions,
  log: (line: string) => void,
): Promise<ProviderTable> {
  const rows: ProviderRow[] = [];
  const autoChoices: AutoChoice[] = [];
  let providerReason = '';
  log(
    `provider table: --provider ${options.provider}, models ${options.models.join(', ')}, batches ${options.batches.join(', ')}`,
  );
  log('model                provider  batch   raw items/s   SDK items/s  SDK/raw  max |Δ| vs CPU');
  const fixed =
    options.provider === 'auto' ? undefined : new OnnxNodeRuntime(runtimeOptions(options, options.provider));
  if (fixed !== undefined) providerReason = fixed.providerReason;
  for (const name of options.models) {
    const model = TABLE_MODELS[name];
    const bytes = tableModelBytes(model);
    const cpu = await ort.InferenceSession.create(
      bytes,
      rawSessionOptions('cpu', options.threads === 'auto' ? undefined : options.threads, options.allowSpinning),
    );
    let sdk: OnnxNodeModel | undefined;
    let raw: ort.InferenceSession | undefined;
    /** Set once a batch of this model was too slow: larger batches are not timed (a call only gets longer). */
    let tooSlow: string | undefined;
    for (const batch of options.batches) {
      if (tooSlow !== undefined) {
        rows.push(
          skippedRow(model, sdk?.provider ?? (options.provider === 'auto' ? 'cpu' : options.provider), batch, tooSlow),
        );
        log(`${`${name} ${shapeOf(model)}`.padEnd(20)} ${String(batch).padStart(15)}  — (${tooSlow})`);
        continue;
      }
      if (fixed === undefined || sdk === undefined) {
        const runtime = fixed ?? new OnnxNodeRuntime({ ...runtimeOptions(options, 'auto'), expectedBatch: batch });
        const started = performance.now();
        await Promise.all([sdk?.dispose(), raw?.release()]);
        sdk = await runtime.loadBytes(bytes, { name, version: '1' });
        const loadMs = performance.now() - started;
        raw = await ort.InferenceSession.create(
          bytes,
          rawSessionOptions(
            sdk.provider,
            options.threads === 'auto' ? sdk.intraOpNumThreads : options.threads,
            options.allowSpinning,
          ),
        );
        if (fixed === undefined) {
          providerReason = runtime.providerReason;
          autoChoices.push({
            model: name,
            expectedBatch: batch,
            provider: sdk.provider,
            providerReason: sdk.providerReason,
            benchmark: sdk.benchmark ?? null,
            loadMs,
          });
          log(`  auto at batch ${batch}: ${sdk.providerReason} (load ${Math.round(loadMs)} ms)`);
        }
      }
      const row = await measureCell(model, sdk, raw!, cpu, batch, options);
      rows.push(row);
      if (row.skipped !== undefined)
        tooSlow = `batch ${batch} already took longer than --cell-limit ${options.cellLimitSeconds} s`;
      log(
        `${`${name} ${row.shape}`.padEnd(20)} ${row.provider.padEnd(8)} ${String(batch).padStart(6)} ${fmt(row.rawItemsPerSecond).padStart(13)} ` +
          `${fmt(row.sdkItemsPerSecond).padStart(13)}  ${row.ratio === null ? '   —  ' : row.ratio.toFixed(3).padStart(6)}  ` +
          `${row.maxAbsDeltaVsCpu === null ? '—' : row.maxAbsDeltaVsCpu.toExponential(2)}${row.skipped === undefined ? '' : `  (${row.skipped})`}`,
      );
    }
    await Promise.all([sdk?.dispose(), raw?.release(), cpu.release()]);
  }
  return {
    requested: options.provider,
    providerReason,
    models: options.models.map((name) => ({ name, shape: shapeOf(TABLE_MODELS[name]) })),
    batches: options.batches,
    secondsPerTrial: options.seconds,
    cellLimitSeconds: options.cellLimitSeconds,
    rows,
    autoChoices,
    environment: {
      VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? null,
      LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH ?? null,
      NVIDIA_TF32_OVERRIDE: process.env.NVIDIA_TF32_OVERRIDE ?? null,
    },
  };
}

function runtimeOptions(options: ProviderTableOptions, provider: ExecutionProviderOption) {
  return {
    executionProvider: provider,
    allowSpinning: options.allowSpinning ?? false,
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
  };
}

async function measureCell(
  model: TableModel,
  sdk: OnnxNodeModel,
  raw: ort.InferenceSession,
  cpu: ort.InferenceSession,
  batch: number,
  options: ProviderTableOptions,
): Promise<ProviderRow> {
  const width = model.widths[0]!;
  const x = tableRows(batch, width, batch);
  const feeds = { [raw.inputNames[0]!]: new ort.Tensor('float32', x, [batch, width]) };
  const base = { model: model.name, shape: shapeOf(model), provider: sdk.provider as ExecutionProvider, batch };
  // The first call compiles shaders / plans memory; the second tells whether the cell fits --cell-limit.
  const warm = performance.now();
  const got = await sdk.run(x, batch);
  const reference = (await cpu.run({ [cpu.inputNames[0]!]: new ort.Tensor('float32', x, [batch, width]) }))[
    cpu.outputNames[0]!
  ]!.data as Float32Array;
  let maxAbs = 0;
  for (let i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - reference[i]!));
  const firstSeconds = (performance.now() - warm) / 1000;
  if (firstSeconds > options.cellLimitSeconds * 2) {
    return {
      ...skippedRow(model, sdk.provider, batch, `the first call took ${firstSeconds.toFixed(1)} s`),
      maxAbsDeltaVsCpu: maxAbs,
    };
  }
  const started = performance.now();
  await sdk.run(x, batch);
  const seconds = (performance.now() - started) / 1000;
  if (seconds > options.cellLimitSeconds) {
    return {
      ...skippedRow(
        model,
        sdk.provider,
        batch,
        `one call took ${seconds.toFixed(1)} s > --cell-limit ${options.cellLimitSeconds} s`,
      ),
      maxAbsDeltaVsCpu: maxAbs,
    };
  }
  await raw.run(feeds);
  const [rawT, sdkT] = await compare(
    [
      { label: 'raw', items: batch, call: () => raw.run(feeds) },
      { label: 'sdk', items: batch, call: () => sdk.run(x, batch) },
    ],
    options.seconds,
  );
  return {
    ...base,
    rawItemsPerSecond: rawT!.itemsPerSecond,
    sdkItemsPerSecond: sdkT!.itemsPerSecond,
    ratio: sdkT!.itemsPerSecond / rawT!.itemsPerSecond,
    maxAbsDeltaVsCpu: maxAbs,
    raw: rawT!,
    sdk: sdkT!,
  };
}

/** A cell that was not timed (`—` in the issue's table), with why. */
function skippedRow(model: TableModel, provider: ExecutionProvider, batch: number, why: string): ProviderRow {
  return {
    model: model.name,
    shape: shapeOf(model),
    provider,
    batch,
    rawItemsPerSecond: null,
    sdkItemsPerSecond: null,
    ratio: null,
    maxAbsDeltaVsCpu: null,
    raw: null,
    sdk: null,
    skipped: why,
  };
}
