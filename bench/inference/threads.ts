/**
 * One intra-op thread against onnxruntime's default (one per physical core), raw onnxruntime-node sessions on the
 * CPU, same run: rows/s of the provider table's two MLPs (64-128-10 and 512-4096-4096-1000) at several batch
 * sizes, timed in turns (bench/inference/measure.ts `compare`, median of 3 trials), with the ratio one
 * thread / default and the largest |Δ| between the two sessions' outputs. What `OnnxNodeRuntime({ intraOpNumThreads:
 * 'auto' })` chooses between, per model, at its `expectedBatch`.
 *
 *   npx tsx bench/inference/threads.ts [--seconds 1] [--json]
 */
import * as ort from 'onnxruntime-node';
import { sideBenchArgs } from './args.js';
import { compare, type Workload } from './measure.js';
import { shapeOf, TABLE_MODELS, tableModelBytes, tableRows, type TableModelName } from './large-model.js';
import { rawSessionOptions } from './models.js';

const { seconds, json } = sideBenchArgs(
  process.argv.slice(2),
  1,
  'usage: tsx bench/inference/threads.ts [--seconds S] [--json]',
);
const BATCHES: Readonly<Record<TableModelName, readonly number[]>> = {
  small: [1, 64, 1024, 8192],
  large: [1, 64, 256],
};

interface ThreadsRow {
  readonly model: string;
  readonly batch: number;
  readonly oneThreadItemsPerSecond: number;
  readonly defaultItemsPerSecond: number;
  /** One thread / default, same run. */
  readonly ratio: number;
  readonly maxAbsDelta: number;
}

const rows: ThreadsRow[] = [];
const log = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
log('model                 batch   1 thread rows/s   default rows/s   1 thread / default   max |Δ|');
for (const name of ['small', 'large'] as const) {
  const model = TABLE_MODELS[name];
  const width = model.widths[0]!;
  const bytes = tableModelBytes(model);
  const one = await ort.InferenceSession.create(bytes, rawSessionOptions('cpu', 1));
  const all = await ort.InferenceSession.create(bytes, rawSessionOptions('cpu', undefined));
  for (const batch of BATCHES[name]) {
    const feeds = { [one.inputNames[0]!]: new ort.Tensor('float32', tableRows(batch, width, batch), [batch, width]) };
    const a = (await one.run(feeds))[one.outputNames[0]!]!.data as Float32Array;
    const b = (await all.run(feeds))[all.outputNames[0]!]!.data as Float32Array;
    let maxAbsDelta = 0;
    for (let i = 0; i < a.length; i++) maxAbsDelta = Math.max(maxAbsDelta, Math.abs(a[i]! - b[i]!));
    const workloads: Workload[] = [
      { label: '1 thread', items: batch, call: () => one.run(feeds) },
      { label: 'default', items: batch, call: () => all.run(feeds) },
    ];
    const [single, byDefault] = await compare(workloads, name === 'small' ? seconds : 2 * seconds, 3, 0.05);
    const row: ThreadsRow = {
      model: shapeOf(model),
      batch,
      oneThreadItemsPerSecond: single!.itemsPerSecond,
      defaultItemsPerSecond: byDefault!.itemsPerSecond,
      ratio: single!.itemsPerSecond / byDefault!.itemsPerSecond,
      maxAbsDelta,
    };
    rows.push(row);
    log(
      `${row.model.padEnd(20)} ${String(batch).padStart(6)} ${Math.round(row.oneThreadItemsPerSecond).toLocaleString('en-US').padStart(17)} ` +
        `${Math.round(row.defaultItemsPerSecond).toLocaleString('en-US').padStart(16)} ${row.ratio.toFixed(2).padStart(20)} ${row.maxAbsDelta.toExponential(1).padStart(9)}`,
    );
  }
  await Promise.all([one.release(), all.release()]);
}
if (json) console.log(JSON.stringify({ rows }, null, 2));
