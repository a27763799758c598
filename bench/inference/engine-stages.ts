/**
 * Where `engine.process` loses to the raw two-model rate, stage by stage, in one interleaved run (issue 18's
 * target: engine.process/raw ≥ 0.90 at batch 64 and 1,024). Five workloads on the same two onnxruntime-node
 * sessions' models, each adding one stage of what `engine.process` does to the one before:
 *
 *   raw            two raw `InferenceSession.run` calls (`Promise.all`, one reused feeds object)
 *   sdk models     the SDK's `OnnxNodeModel.run` for both (a fresh input `Tensor`, output checks)
 *   + copy, scan   the engine's input copy and its NaN/±Infinity scan (`ScannedCopies`), then the models
 *   + detect       then total variation and the output screen in one pass (the engine's default detector)
 *   engine.process the whole loop (validation, queue, gates, reconcile, accounting) with the never-gated policy;
 *                  once its first batch has paired the two models, it runs them as one session
 *                  (`OnnxNodeModel.pairWith`), where the stages above run them apart
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
import { OUTPUT_TOLERANCE } from '../../packages/core/src/reconcile/gate-rows.js';
import { measureAndScreenTotalVariation } from '../../packages/core/src/reconcile/screen-total-variation.js';
import { ScannedCopies } from '../../packages/core/src/simd/scanned-copies.js';
import { compare, ENGINE_WARMUP_SECONDS, type Workload } from './measure.js';
import { sideBenchArgs } from './args.js';
import { openBenchPair } from './bench-pair.js';
import { benchRows, CLASSES, INPUT_WIDTH } from './models.js';

const usage =
  'usage: tsx bench/inference/engine-stages.ts [--batches 64,1024] [--threads N] [--seconds S] [--allow-spinning] [--json]';
const { batches, seconds, json, option } = sideBenchArgs(process.argv.slice(2), 2, usage);
const threadsOption = option('--threads');
const threads = threadsOption === undefined ? undefined : Number(threadsOption);
const allowSpinning = process.argv.includes('--allow-spinning');
if (threads !== undefined && !(threads >= 1)) {
  console.error(usage);
  process.exit(2);
}

const { proposer, critic, rawProposer, rawCritic, engine, close } = await openBenchPair({
  maxBatchRows: Math.max(...batches),
  threads,
  allowSpinning,
});

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
const copies = new ScannedCopies();
for (const batch of batches) {
  const x = benchRows(batch, batch);
  const feeds = { features: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) };
  const dissonance = new Float32Array(batch);
  /** `work` on the engine's scanned copy of `x`, given back after it (as `engine.process` does). */
  const onCopy = async <T>(work: (input: Float32Array) => Promise<T>): Promise<T> => {
    const { copy, nonFinite } = copies.copy(x);
    if (nonFinite) throw new Error('bench rows are finite');
    try {
      return await work(copy);
    } finally {
      copies.give(copy);
    }
  };
  const workloads: Workload[] = [
    { label: 'raw', items: batch, call: () => Promise.all([rawProposer.run(feeds), rawCritic.run(feeds)]) },
    { label: 'sdk models', items: batch, call: () => Promise.all([proposer.run(x, batch), critic.run(x, batch)]) },
    {
      label: '+ copy, scan',
      items: batch,
      call: () => onCopy((input) => Promise.all([proposer.run(input, batch), critic.run(input, batch)])),
    },
    {
      label: '+ detect',
      items: batch,
      call: () =>
        onCopy(async (input) => {
          const [p, q] = await Promise.all([proposer.run(input, batch), critic.run(input, batch)]);
          return measureAndScreenTotalVariation(p, q, batch, CLASSES, OUTPUT_TOLERANCE, dissonance);
        }),
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
await close();
