/**
 * What the engine's own steps cost next to onnxruntime, against what they cost alone (issue 18, session 14). One
 * interleaved run (`compare`, median of 3 trials) of the champion + critic pair (`OnnxNodeModel.pairWith`, one
 * session) on the bench models, alone and after each step the engine adds:
 *
 *   pair(x)                  the paired run on the caller's array
 *   copy, pair(x)            a plain `Float32Array.set` of the batch first (onnxruntime still reads the caller's array)
 *   copy, pair(copy)         the same, onnxruntime reading the copy
 *   scanned copy, pair(copy) the engine's copy (`ScannedCopies`: copy + NaN/±Infinity scan), onnxruntime reading it
 *   pair(x), detect          total variation and the output screen after the run, as the engine's detect stage does
 *
 * and each step alone, on warm data with no model run (µs per call, median of 3 × 2,000 calls). The difference to
 * `pair(x)` is what a step costs in context.
 *
 *   npx tsx bench/inference/context-costs.ts [--batches 1024] [--seconds 2] [--json]
 */
import { OUTPUT_TOLERANCE } from '../../packages/core/src/reconcile/gate-rows.js';
import { measureAndScreenTotalVariation } from '../../packages/core/src/reconcile/screen-total-variation.js';
import { ScannedCopies } from '../../packages/core/src/simd/scanned-copies.js';
import { sideBenchArgs } from './args.js';
import { openBenchPair } from './bench-pair.js';
import { compare, ENGINE_WARMUP_SECONDS, type Workload } from './measure.js';
import { benchRows, CLASSES } from './models.js';

const usage = 'usage: tsx bench/inference/context-costs.ts [--batches 1024] [--seconds S] [--json]';
const argv = process.argv.slice(2);
const { batches, seconds, json } = sideBenchArgs(
  argv.includes('--batches') ? argv : [...argv, '--batches', '1024'],
  2,
  usage,
);
const log = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);

const bench = await openBenchPair({ maxBatchRows: Math.max(...batches) });
const pair = await bench.proposer.pairWith(bench.critic);
if (pair === undefined) throw new Error('the bench models did not pair');

/** Median µs per call of `step` over 3 × 2,000 calls, after 2,000 warm-up calls. */
function alone(step: () => unknown): number {
  const times: number[] = [];
  for (let t = 0; t < 4; t++) {
    const start = performance.now();
    for (let i = 0; i < 2000; i++) step();
    if (t > 0) times.push(((performance.now() - start) / 2000) * 1000);
  }
  return times.sort((a, b) => a - b)[1]!;
}

const results: Record<string, unknown>[] = [];
for (const batch of batches) {
  const x = benchRows(batch, batch);
  const plain = new Float32Array(x.length);
  const copies = new ScannedCopies();
  const out = new Float32Array(batch);
  const detect = (p: Float32Array, q: Float32Array): unknown =>
    measureAndScreenTotalVariation(p, q, batch, CLASSES, OUTPUT_TOLERANCE, out);
  const workloads: Workload[] = [
    { label: 'pair(x)', items: batch, call: () => pair.run(x, batch) },
    {
      label: 'copy, pair(x)',
      items: batch,
      call: () => {
        plain.set(x);
        return pair.run(x, batch);
      },
    },
    {
      label: 'copy, pair(copy)',
      items: batch,
      call: () => {
        plain.set(x);
        return pair.run(plain, batch);
      },
    },
    {
      label: 'scanned copy, pair(copy)',
      items: batch,
      call: async () => {
        const { copy } = copies.copy(x);
        try {
          return await pair.run(copy, batch);
        } finally {
          copies.give(copy);
        }
      },
    },
    {
      label: 'pair(x), detect',
      items: batch,
      call: async () => {
        const [p, q] = await pair.run(x, batch);
        return detect(p, q);
      },
    },
  ];
  const measured = await compare(workloads, seconds, 3, 0.05, ENGINE_WARMUP_SECONDS);
  const us = measured.map((m) => (batch / m.itemsPerSecond) * 1e6);
  const [p, q] = await pair.run(x, batch);
  const aloneUs: Record<string, number> = {
    copy: alone(() => plain.set(x)),
    'scanned copy': alone(() => copies.give(copies.copy(x).copy)),
    detect: alone(() => detect(p, q)),
  };
  log(`batch ${batch}: µs per call, next to the paired run (added to pair(x)), and the step alone`);
  workloads.forEach((w, i) =>
    log(`  ${w.label.padEnd(26)} ${us[i]!.toFixed(1).padStart(8)}  +${(us[i]! - us[0]!).toFixed(1)}`),
  );
  for (const [step, value] of Object.entries(aloneUs))
    log(`  ${`${step} alone`.padEnd(26)} ${value.toFixed(1).padStart(8)}`);
  results.push({
    batch,
    inContextUs: Object.fromEntries(workloads.map((w, i) => [w.label, us[i]])),
    aloneUs,
  });
}
await pair.dispose();
await bench.close();
if (json) console.log(JSON.stringify({ results }, null, 2));
