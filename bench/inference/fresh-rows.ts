/**
 * `engine.process` against the raw two-model call when every call brings new rows, as served traffic does. The
 * main bench (index.ts) feeds both the same array every call: the raw sessions then read input that never
 * changes and stays in both cores' caches, while the engine must copy it (the caller may reuse its buffer) and
 * onnxruntime's second intra-op thread reads the fresh copy from the other core. Here, before each call, the
 * caller writes the next of 16 distinct batches into its request buffer, for raw and engine alike; the rest is as
 * in index.ts (same models, session options and engine; interleaved, median of 3 trials). Both ratios, fixed
 * and fresh input, come from one run.
 *
 *   npx tsx bench/inference/fresh-rows.ts [--batches 64,1024] [--seconds 1.5] [--json]
 */
import * as ort from 'onnxruntime-node';
import { sideBenchArgs } from './args.js';
import { openBenchPair } from './bench-pair.js';
import { compare } from './measure.js';
import { benchRows, INPUT_WIDTH } from './models.js';

const { batches, seconds, json } = sideBenchArgs(
  process.argv.slice(2),
  1.5,
  'usage: tsx bench/inference/fresh-rows.ts [--batches 64,1024] [--seconds S] [--json]',
);
const DISTINCT = 16;

const { rawProposer, rawCritic, engine, close } = await openBenchPair({ maxBatchRows: Math.max(...batches) });

const rows: { batch: number; fixed: number; fresh: number }[] = [];
for (const batch of batches) {
  const sources = Array.from({ length: DISTINCT }, (_, i) => benchRows(batch, 1000 * batch + i));
  const fixed = sources[0]!;
  const buffer = new Float32Array(batch * INPUT_WIDTH);
  let next = 0;
  const write = (): Float32Array => {
    buffer.set(sources[next++ % DISTINCT]!);
    return buffer;
  };
  const fixedFeeds = { features: new ort.Tensor('float32', fixed, [batch, INPUT_WIDTH]) };
  const freshFeeds = { features: new ort.Tensor('float32', buffer, [batch, INPUT_WIDTH]) };
  const [rawFixed, engineFixed, rawFresh, engineFresh] = await compare(
    [
      {
        label: 'raw, fixed',
        items: batch,
        call: () => Promise.all([rawProposer.run(fixedFeeds), rawCritic.run(fixedFeeds)]),
      },
      { label: 'engine, fixed', items: batch, call: () => engine.process({ x: fixed, rows: batch }) },
      {
        label: 'raw, fresh',
        items: batch,
        call: () => {
          write();
          return Promise.all([rawProposer.run(freshFeeds), rawCritic.run(freshFeeds)]);
        },
      },
      { label: 'engine, fresh', items: batch, call: () => engine.process({ x: write(), rows: batch }) },
    ],
    seconds,
    3,
    0.05,
    2,
  );
  rows.push({
    batch,
    fixed: engineFixed!.itemsPerSecond / rawFixed!.itemsPerSecond,
    fresh: engineFresh!.itemsPerSecond / rawFresh!.itemsPerSecond,
  });
  if (!json) {
    console.log(
      `batch ${batch}: raw ${Math.round(rawFixed!.itemsPerSecond)} / ${Math.round(rawFresh!.itemsPerSecond)} items/s (fixed / fresh input), ` +
        `engine.process ${Math.round(engineFixed!.itemsPerSecond)} / ${Math.round(engineFresh!.itemsPerSecond)}; ` +
        `engine/raw ${rows.at(-1)!.fixed.toFixed(3)} fixed, ${rows.at(-1)!.fresh.toFixed(3)} fresh`,
    );
  }
}
if (json) console.log(JSON.stringify({ seconds, distinctBatches: DISTINCT, rows }, null, 2));
await close();
