/**
 * Inference bench: how much the SDK's model path costs over raw onnxruntime-node, and what the MicroBatcher
 * buys for many concurrent single-row calls.
 *
 *   npx tsx bench/inference/index.ts [--provider cpu|cuda|webgpu|auto] [--json] [--seconds 1] [--batches 1,64,1024] [--threads N|auto]
 *                                    [--table-batches 1,64,1024,8192] [--models small,large] [--cell-limit 10] [--only providers]
 *
 * First the provider table (providers.ts, JSON `providers`): a 64-128-10 and a 512-4096-4096-1000 MLP on the
 * requested provider, raw session vs `OnnxNodeModel.run` items/s at each `--table-batches` size, the ratio and
 * the largest |Δ| against the CPU (`--only providers` stops there).
 *
 * Models: a proposer and a critic, each a seeded 64-128-10 MLP written by `writeOnnxMlp` (Gemm/Relu/Softmax,
 * opset 17). In one run, at each batch size (default 1, 64, 1024), items/s of:
 *   raw              two raw `InferenceSession.run` calls (proposer + critic, `Promise.all`, one reused feeds
 *                    object), sessions created with the SDK's options on the same execution provider;
 *   models+detector  the SDK's generate + detect: `OnnxNodeModel.run` for proposer and critic (`Promise.all`)
 *                    and `totalVariation.measure` (the engine's default detector) into a reused buffer;
 *   engine.process   `createEngine({ proposer, critics: [critic] }).process({ x, rows })`, no labels (validate
 *                    → generate → detect → reconcile gates; a budget and quarantine that never trigger).
 * Then the instrumentation overhead with no OpenTelemetry SDK registered: engine.process as shipped (spans and
 * metrics through the `@opentelemetry/api` globals, no-ops) against the same engine with tracing off (a tracer
 * that makes no span and touches no context, `bench/inference/tracing-off.ts`), interleaved in the same run;
 * the median over back-to-back rounds of the items/s ratio instrumented/off at each batch size, wall-clock and
 * per CPU-second of this process (target ≥ 0.98 on CPU time, i.e. at most 2 % overhead: CPU time is what the
 * instrumentation costs, and it is not moved by other processes on a shared machine the way wall-clock is).
 * And directly: ns per batch of that instrumentation sequence on the no-ops, as a share of a batch's time.
 * Each is warmed up (2 s: engine.process reaches its steady rate only after about that), then timed for
 * ≥ `--seconds` per trial in 50 ms slices taking turns (so load from elsewhere hits all alike), 3 trials; the
 * median is reported with SDK/raw ratios (target ≥ 0.90 for models+detector at batch ≥ 64).
 * Target engine.process/raw ≥ 0.90 at batch 64 and 1,024 (`bench/inference/engine-targets.ts`).
 * Then 1,000 concurrent single-row proposer calls with and without a `MicroBatcher` with its defaults (maxBatch
 * 256, maxDelayMs 2, adaptive flush), `bench/inference/micro-batcher.ts`: as a burst (`Promise.all` of 1,000
 * calls; also with maxDelayMs 0) and as 1,000 closed-loop callers making 10 sequential calls each: rows/s, the
 * ratio (target ≥ 10×), the mean batch size and per-call latency percentiles; and a lone caller's latency
 * unbatched vs batched (target: p99 within 1 ms).
 * `--json` prints one JSON document on stdout (progress goes to stderr).
 */
import * as ort from 'onnxruntime-node';
import { createEngine, totalVariation } from '../../packages/core/src/index.js';
import { OnnxNodeRuntime } from '../../packages/node/src/onnx/index.js';
import { parseArgs } from './args.js';
import { machineInfo } from './machine.js';
import { compare, ENGINE_WARMUP_SECONDS, pairedRatio, type Throughput, type Workload } from './measure.js';
import { instrumentationNsPerBatch, tracingOff } from './tracing-off.js';
import { engineProcessTargetLine, engineProcessTargets } from './engine-targets.js';
import { microBatcherBench, microBatcherLines } from './micro-batcher.js';
import { benchModelBytes, benchRows, CLASSES, INPUT_WIDTH, NEVER_GATED, rawSessionOptions } from './models.js';
import { runProviderTable } from './providers.js';

const CONCURRENT_CALLS = 1000;
/** Sequential calls per caller in the closed-loop measurement. */
const CLOSED_LOOP_CALLS = 10;

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => {
  if (args.json) process.stderr.write(`${line}\n`);
  else console.log(line);
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

// Issue 18's provider table (providers.ts): raw vs SDK per model, provider and batch, max |Δ| vs the CPU.
const providerTable = await runProviderTable(
  {
    provider: args.provider,
    models: args.models,
    batches: args.tableBatches,
    seconds: args.seconds,
    cellLimitSeconds: args.cellLimit,
    threads: args.threads,
    allowSpinning: args.allowSpinning,
  },
  log,
);
if (args.only === 'providers') {
  const ortVersion = ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
  const tableMachine = machineInfo(
    ortVersion,
    providerTable.rows[0]?.provider ?? args.provider,
    providerTable.providerReason,
  );
  if (args.json) console.log(JSON.stringify({ machine: tableMachine, args, providers: providerTable }, null, 2));
  process.exit(0);
}

let runtime: OnnxNodeRuntime;
try {
  runtime = new OnnxNodeRuntime({
    executionProvider: args.provider,
    allowSpinning: args.allowSpinning,
    ...(args.threads === undefined ? {} : { intraOpNumThreads: args.threads }),
  });
} catch (error) {
  console.error(`bench: --provider ${args.provider}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const proposerBytes = benchModelBytes(1);
const criticBytes = benchModelBytes(2);
const proposer = await runtime.loadBytes(proposerBytes, { name: 'proposer', version: '1' });
const critic = await runtime.loadBytes(criticBytes, { name: 'critic', version: '1' });
const provider = proposer.provider;
// With --threads auto the raw sessions use the count the SDK chose for the proposer: the ratios compare like with like.
const rawThreads = args.threads === 'auto' ? proposer.intraOpNumThreads : args.threads;
const options = rawSessionOptions(provider, rawThreads, args.allowSpinning);
const rawProposer = await ort.InferenceSession.create(proposerBytes, options);
const rawCritic = await ort.InferenceSession.create(criticBytes, options);

const machine = machineInfo(
  ort.env.versions.node ?? ort.env.versions.common ?? 'unknown',
  provider,
  runtime.providerReason,
);
log(
  `machine: ${machine.cpuModel}, nproc ${machine.nproc}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}`,
);
log(`onnxruntime-node ${machine.onnxruntime}, execution provider ${provider} (${machine.providerReason})`);
if (args.threads === 'auto') {
  log(`intra-op threads by measurement: proposer ${proposer.providerReason}; critic ${critic.providerReason}`);
  log(`raw sessions: intra-op threads ${rawThreads ?? "onnxruntime's default"}`);
}
log(
  `models: proposer + critic, ${INPUT_WIDTH}-128-${CLASSES} MLPs (writeOnnxMlp); ${args.seconds} s per trial, median of 3`,
);

const engine = createEngine({
  proposer,
  critics: [critic],
  maxBatchRows: Math.max(...args.batches),
  concurrency: 1,
  policy: NEVER_GATED,
});
await engine.ready();

interface BatchResultRow {
  readonly batch: number;
  readonly raw: Throughput;
  readonly modelsDetector: Throughput;
  readonly engineProcess: Throughput;
  readonly ratioModelsDetector: number;
  readonly ratioEngine: number;
}

const batchResults: BatchResultRow[] = [];
log('');
log('batch  raw items/s      models+detector  ratio   engine.process   ratio');
for (const batch of args.batches) {
  const x = benchRows(batch, batch);
  const feeds = { features: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) };
  const detectOut = new Float32Array(batch);
  const workloads: Workload[] = [
    { label: 'raw', items: batch, call: () => Promise.all([rawProposer.run(feeds), rawCritic.run(feeds)]) },
    {
      label: 'models+detector',
      items: batch,
      call: async () => {
        const [p, q] = await Promise.all([proposer.run(x, batch), critic.run(x, batch)]);
        return totalVariation.measure(p, q, batch, CLASSES, detectOut);
      },
    },
    { label: 'engine.process', items: batch, call: () => engine.process({ x, rows: batch }) },
  ];
  const [raw, modelsDetector, engineProcess] = (await compare(
    workloads,
    args.seconds,
    3,
    0.05,
    ENGINE_WARMUP_SECONDS,
  )) as [Throughput, Throughput, Throughput];
  const row: BatchResultRow = {
    batch,
    raw,
    modelsDetector,
    engineProcess,
    ratioModelsDetector: modelsDetector.itemsPerSecond / raw.itemsPerSecond,
    ratioEngine: engineProcess.itemsPerSecond / raw.itemsPerSecond,
  };
  batchResults.push(row);
  log(
    `${String(batch).padStart(5)}  ${fmt(raw.itemsPerSecond).padStart(13)}  ${fmt(modelsDetector.itemsPerSecond).padStart(15)}  ` +
      `${row.ratioModelsDetector.toFixed(3)}  ${fmt(engineProcess.itemsPerSecond).padStart(15)}  ${row.ratioEngine.toFixed(3)}`,
  );
}

// Instrumentation overhead without an SDK: the shipped engine against one with tracing off, same run.
const engineOff = createEngine({
  proposer,
  critics: [critic],
  maxBatchRows: Math.max(...args.batches),
  concurrency: 1,
  policy: NEVER_GATED,
  tracer: tracingOff,
});
await engineOff.ready();
interface TracingRow {
  readonly batch: number;
  readonly instrumented: Throughput;
  readonly tracingOff: Throughput;
  /** Median of per-round ratios, instrumented / tracing off, wall-clock items/s. */
  readonly ratio: number;
  /** The same in items per CPU-second of the process (the target's measure). */
  readonly cpuRatio: number;
  readonly rounds: number;
}
const tracingResults: TracingRow[] = [];
log('');
log('instrumentation, no SDK registered: engine.process items/s');
log('batch  instrumented     tracing off      wall ratio  CPU-time ratio (target ≥ 0.98)');
for (const batch of args.batches) {
  const x = benchRows(batch, batch + 1);
  const paired = await pairedRatio(
    { label: 'instrumented', items: batch, call: () => engine.process({ x, rows: batch }) },
    { label: 'tracing off', items: batch, call: () => engineOff.process({ x, rows: batch }) },
    args.seconds * 6,
    batch >= 1024 ? 0.2 : 0.05,
  );
  const row = {
    batch,
    instrumented: paired.a,
    tracingOff: paired.b,
    ratio: paired.ratio,
    cpuRatio: paired.cpuRatio,
    rounds: paired.rounds,
  };
  tracingResults.push(row);
  log(
    `${String(batch).padStart(5)}  ${fmt(paired.a.itemsPerSecond).padStart(12)}  ${fmt(paired.b.itemsPerSecond).padStart(14)}  ` +
      `${row.ratio.toFixed(3).padStart(10)}  ${row.cpuRatio.toFixed(3).padStart(14)}  (median of ${paired.rounds} paired rounds)`,
  );
}
await Promise.all([engine.stop(), engineOff.stop()]);
// The same cost measured directly: the per-batch instrumentation sequence on the API no-ops vs bare awaits.
const instrumentationNs = await instrumentationNsPerBatch();
const instrumentationShare = tracingResults.map((r) => ({
  batch: r.batch,
  share: instrumentationNs / 1e9 / (r.batch / r.tracingOff.itemsPerSecond),
}));
log(
  `direct: the no-op instrumentation costs ${(instrumentationNs / 1000).toFixed(2)} µs per batch = ` +
    instrumentationShare.map((s) => `${(s.share * 100).toFixed(3)} % at batch ${s.batch}`).join(', '),
);

// 1,000 concurrent single-row calls, with and without a MicroBatcher (bench/inference/micro-batcher.ts).
const concurrency = await microBatcherBench(
  proposer,
  benchRows(CONCURRENT_CALLS, 7),
  CONCURRENT_CALLS,
  CLOSED_LOOP_CALLS,
  args.seconds,
);
log('');
for (const text of microBatcherLines(concurrency)) log(text);

const targets = {
  instrumentationOverheadAtMost2Percent:
    tracingResults.every((r) => r.cpuRatio >= 0.98) && instrumentationShare.every((s) => s.share <= 0.02),
  modelsDetectorAtLeast090AtBatch64Plus: batchResults
    .filter((r) => r.batch >= 64)
    .every((r) => r.ratioModelsDetector >= 0.9),
  ...engineProcessTargets(batchResults),
  microBatcher: concurrency.targets,
};
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
log('');
log(`target models+detector/raw ≥ 0.90 at batch ≥ 64: ${met(targets.modelsDetectorAtLeast090AtBatch64Plus)}`);
log(`target instrumentation overhead ≤ 2 % without an SDK: ${met(targets.instrumentationOverheadAtMost2Percent)}`);
log(engineProcessTargetLine(targets));
log(
  `target MicroBatcher ≥ 10× with defaults: burst ${met(targets.microBatcher.burstAtLeast10x)}, ` +
    `closed loop ${met(targets.microBatcher.closedLoopAtLeast10x)}; lone p99 within 1 ms: ${met(targets.microBatcher.loneP99Within1ms)}`,
);
if (args.json) {
  const tracing = { paired: tracingResults, instrumentationNsPerBatch: instrumentationNs, share: instrumentationShare };
  console.log(
    JSON.stringify(
      { machine, args, providers: providerTable, batches: batchResults, tracing, concurrency, targets },
      null,
      2,
    ),
  );
}

await Promise.all([proposer.dispose(), critic.dispose(), rawProposer.release(), rawCritic.release()]);
