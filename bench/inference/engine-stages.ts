/**
 * Where `engine.process` loses to the raw two-model rate, stage by stage, in one interleaved run (issue 18's
 * target: engine.process/raw ≥ 0.90 at batch 64 and 1,024). Five workloads on the same two onnxruntime-node
 * sessions' models, each adding one stage of what `engine.process` does to the one before:
 *
 *   raw            two raw `InferenceSession.run` calls (`Promise.all`, one reused feeds object)
 *   sdk models     the SDK's `OnnxNodeModel.run` for both (a fresh input `Tensor`, output checks)
 *   + copy, scan   the engine's input copy into a reused buffer and its NaN/±Infinity scan, then the models
 *   + detect       then total variation and the output screen in one pass (the engine's default detector)
 *   engine.process the whole loop (validation, queue, gates, reconcile, accounting) with the never-gated policy
 *
 * Each stage's µs per call minus the previous one's is what it costs next to real models (its code and data
 * compete with onnxruntime's for the caches, so it costs more than alone: compare engine-overhead.ts).
 *
 * `--allow-spinning` runs every session, the SDK's and the raw ones, with onnxruntime's spinning worker threads
 * (its own default; the SDK turns it off: `OnnxNodeRuntimeOptions.allowSpinning`).
 *
 *   npx tsx bench/inference/engine-stages.ts [--batches 64,1024] [--threads 1] [--seconds 2] [--allow-spinning] [--json]
 */
import * as ort from 'onnxruntime-node';
import { createEngine } from '../../packages/core/src/index.js';
import { OUTPUT_TOLERANCE } from '../../packages/core/src/reconcile/gate-rows.js';
import { measureAndScreenTotalVariation } from '../../packages/core/src/reconcile/screen-total-variation.js';
import { anyNonFinite } from '../../packages/core/src/simd/non-finite.js';
import { OnnxNodeRuntime } from '../../packages/node/src/onnx/index.js';
import { compare, ENGINE_WARMUP_SECONDS, type Workload } from './measure.js';
import { benchModelBytes, benchRows, CLASSES, INPUT_WIDTH, NEVER_GATED, rawSessionOptions } from './models.js';

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}
const batches = (option('--batches') ?? '64,1024').split(',').map(Number);
const threadsOption = option('--threads');
const threads = threadsOption === undefined ? undefined : Number(threadsOption);
const seconds = Number(option('--seconds') ?? 2);
const json = argv.includes('--json');
const allowSpinning = argv.includes('--allow-spinning');
if (
  batches.some((b) => !Number.isInteger(b) || b < 1) ||
  !(seconds > 0) ||
  (threads !== undefined && !(threads >= 1))
) {
  console.error(
    'usage: tsx bench/inference/engine-stages.ts [--batches 64,1024] [--threads N] [--seconds S] [--allow-spinning] [--json]',
  );
  process.exit(2);
}

const runtime = new OnnxNodeRuntime({
  executionProvider: 'cpu',
  allowSpinning,
  ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
});
const proposerBytes = benchModelBytes(1);
const criticBytes = benchModelBytes(2);
const proposer = await runtime.loadBytes(proposerBytes, { name: 'proposer', version: '1' });
const critic = await runtime.loadBytes(criticBytes, { name: 'critic', version: '1' });
const rawOptions = rawSessionOptions('cpu', threads, allowSpinning);
const rawProposer = await ort.InferenceSession.create(proposerBytes, rawOptions);
const rawCritic = await ort.InferenceSession.create(criticBytes, rawOptions);
const engine = createEngine({
  proposer,
  critics: [critic],
  maxBatchRows: Math.max(...batches),
  concurrency: 1,
  policy: NEVER_GATED,
});
await engine.ready();

/** One stage's figures at one batch size. */
interface StageRow {
  readonly stage: string;
  /** Items/s, median of 3 interleaved trials. */
  readonly itemsPerSecond: number;
  /** µs per call (batch / items/s). */
  readonly microsPerCall: number;
  /** items/s of this stage / items/s of raw, same run. */
  readonly ratioToRaw: number;
  /** µs per call more than the stage before (0 for raw). */
  readonly addedMicros: number;
}

const results: { batch: number; stages: StageRow[] }[] = [];
if (!json) {
  console.log(
    `onnxruntime intra-op threads: ${threads ?? "onnxruntime's default"}, spinning ${allowSpinning ? 'on' : 'off'}; ${seconds} s per trial`,
  );
}
for (const batch of batches) {
  const x = benchRows(batch, batch);
  const feeds = { features: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) };
  const copy = new Float32Array(x.length);
  const dissonance = new Float32Array(batch);
  const copyAndScan = (): Float32Array => {
    copy.set(x);
    if (anyNonFinite(copy)) throw new Error('bench rows are finite');
    return copy;
  };
  const workloads: Workload[] = [
    { label: 'raw', items: batch, call: () => Promise.all([rawProposer.run(feeds), rawCritic.run(feeds)]) },
    { label: 'sdk models', items: batch, call: () => Promise.all([proposer.run(x, batch), critic.run(x, batch)]) },
    {
      label: '+ copy, scan',
      items: batch,
      call: () => {
        const input = copyAndScan();
        return Promise.all([proposer.run(input, batch), critic.run(input, batch)]);
      },
    },
    {
      label: '+ detect',
      items: batch,
      call: async () => {
        const input = copyAndScan();
        const [p, q] = await Promise.all([proposer.run(input, batch), critic.run(input, batch)]);
        return measureAndScreenTotalVariation(p, q, batch, CLASSES, OUTPUT_TOLERANCE, dissonance);
      },
    },
    { label: 'engine.process', items: batch, call: () => engine.process({ x, rows: batch }) },
  ];
  const timed = await compare(workloads, seconds, 3, 0.05, ENGINE_WARMUP_SECONDS);
  const raw = timed[0]!.itemsPerSecond;
  const stages = workloads.map((w, i): StageRow => {
    const micros = (batch / timed[i]!.itemsPerSecond) * 1e6;
    const before = i === 0 ? micros : (batch / timed[i - 1]!.itemsPerSecond) * 1e6;
    return {
      stage: w.label,
      itemsPerSecond: timed[i]!.itemsPerSecond,
      microsPerCall: micros,
      ratioToRaw: timed[i]!.itemsPerSecond / raw,
      addedMicros: micros - before,
    };
  });
  results.push({ batch, stages });
  if (!json) {
    console.log(`\nbatch ${batch}`);
    console.log('stage             µs/call   ratio to raw   added µs');
    for (const s of stages) {
      console.log(
        `${s.stage.padEnd(16)} ${s.microsPerCall.toFixed(1).padStart(8)}   ${s.ratioToRaw.toFixed(3).padStart(12)}   ${s.addedMicros.toFixed(1).padStart(8)}`,
      );
    }
  }
}
if (json) console.log(JSON.stringify({ threads: threads ?? null, allowSpinning, seconds, results }, null, 2));
await engine.stop();
await Promise.all([proposer.dispose(), critic.dispose(), rawProposer.release(), rawCritic.release()]);
