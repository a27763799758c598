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
import { createEngine } from '../../packages/core/src/index.js';
import { OnnxNodeRuntime } from '../../packages/node/src/onnx/index.js';
import { compare } from './measure.js';
import { benchModelBytes, benchRows, INPUT_WIDTH, NEVER_GATED, rawSessionOptions } from './models.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const batches = (option('--batches') ?? '64,1024').split(',').map(Number);
const seconds = Number(option('--seconds') ?? 1.5);
const json = argv.includes('--json');
if (batches.some((b) => !Number.isInteger(b) || b < 1) || !(seconds > 0)) {
  console.error('usage: tsx bench/inference/fresh-rows.ts [--batches 64,1024] [--seconds S] [--json]');
  process.exit(2);
}
const DISTINCT = 16;

const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
const proposerBytes = benchModelBytes(1);
const criticBytes = benchModelBytes(2);
const proposer = await runtime.loadBytes(proposerBytes, { name: 'proposer', version: '1' });
const critic = await runtime.loadBytes(criticBytes, { name: 'critic', version: '1' });
const options = rawSessionOptions('cpu', undefined);
const rawProposer = await ort.InferenceSession.create(proposerBytes, options);
const rawCritic = await ort.InferenceSession.create(criticBytes, options);
const engine = createEngine({
  proposer,
  critics: [critic],
  maxBatchRows: Math.max(...batches),
  concurrency: 1,
  policy: NEVER_GATED,
});
await engine.ready();

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
await engine.stop();
await Promise.all([proposer.dispose(), critic.dispose(), rawProposer.release(), rawCritic.release()]);
