/**
 * `engine.process` of this working tree against another checkout of the repository (a base commit), each as a ratio
 * to the raw two-model rate of the same run: what a change to the engine's hot path gains, measured where the two
 * share the machine's state. Three workloads in one interleaved `compare` (median of 3 trials): raw (two sessions,
 * as index.ts), the base's engine and this tree's engine, each opened by `openBenchPair` on its own runtime.
 *
 * Which engine is listed second or third moves its ratio by up to 0.03 on a 2-core machine (what runs before a
 * slice warms or cools the caches for it; measured with the same code on both sides), so the two swap places every
 * repetition and the means are over both orders.
 *
 *   git worktree add .tmp/base <commit>      # once; the base needs node_modules: ln -s "$PWD/node_modules" .tmp/base/
 *   npx tsx bench/inference/compare-commits.ts --base .tmp/base [--batches 64,1024] [--reps 6] [--seconds 1] [--json]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { createEngine, Engine } from '../../packages/core/src/index.js';
import { sideBenchArgs } from './args.js';
import { openBenchPair } from './bench-pair.js';
import { compare, ENGINE_WARMUP_SECONDS, type Workload } from './measure.js';
import { benchRows, INPUT_WIDTH } from './models.js';

const usage =
  'usage: tsx bench/inference/compare-commits.ts --base DIR [--batches 64,1024] [--reps N] [--seconds S] [--json]';
const { batches, seconds, json, option } = sideBenchArgs(process.argv.slice(2), 1, usage);
const baseDir = option('--base');
const reps = Number(option('--reps') ?? 6);
if (baseDir === undefined || !Number.isInteger(reps) || reps < 2) {
  console.error(usage);
  process.exit(2);
}
const baseCore = (await import(pathToFileURL(resolve(baseDir, 'packages/core/src/index.ts')).href)) as {
  createEngine: typeof createEngine;
};

const maxBatchRows = Math.max(...batches);
// Each engine on its own runtime and sessions; the raw sessions of the first serve as the baseline.
const basePair = await openBenchPair({ maxBatchRows, create: baseCore.createEngine });
const headPair = await openBenchPair({ maxBatchRows });
const { rawProposer, rawCritic, engine: base } = basePair;
const head = headPair.engine;

const rows: { batch: number; base: number[]; head: number[] }[] = [];
if (!json) console.log(`base ${baseDir}; ${reps} repetitions, the engines swapping places each time`);
for (const batch of batches) {
  const x = benchRows(batch, batch);
  const feeds = { [rawProposer.inputNames[0]!]: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) };
  const raw: Workload = {
    label: 'raw',
    items: batch,
    call: () => Promise.all([rawProposer.run(feeds), rawCritic.run(feeds)]),
  };
  const engineWorkload = (label: string, engine: Engine): Workload => ({
    label,
    items: batch,
    call: () => engine.process({ x, rows: batch }),
  });
  const row = { batch, base: [] as number[], head: [] as number[] };
  for (let rep = 0; rep < reps; rep++) {
    const swapped = rep % 2 === 1;
    const engines = swapped
      ? [engineWorkload('head', head), engineWorkload('base', base)]
      : [engineWorkload('base', base), engineWorkload('head', head)];
    const [r, first, second] = await compare(
      [raw, ...engines],
      seconds,
      3,
      0.05,
      rep === 0 ? ENGINE_WARMUP_SECONDS : 0.3,
    );
    const [b, h] = swapped ? [second!, first!] : [first!, second!];
    row.base.push(b.itemsPerSecond / r!.itemsPerSecond);
    row.head.push(h.itemsPerSecond / r!.itemsPerSecond);
  }
  rows.push(row);
  if (!json) {
    const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
    const diffs = row.head.map((h, i) => h - row.base[i]!);
    const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - mean(diffs)) ** 2, 0) / (diffs.length - 1));
    console.log(
      `batch ${batch}: engine/raw base ${mean(row.base).toFixed(3)}, this tree ${mean(row.head).toFixed(3)}; ` +
        `difference ${mean(diffs) >= 0 ? '+' : ''}${mean(diffs).toFixed(3)} ± ${sd.toFixed(3)} (sd over ${reps})`,
    );
  }
}
if (json) console.log(JSON.stringify({ base: baseDir, reps, seconds, rows }, null, 2));
await Promise.all([basePair.close(), headPair.close()]);
