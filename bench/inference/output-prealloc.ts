/**
 * Does a pre-allocated output tensor (onnxruntime-node 1.30 accepts `Tensor`s in `fetches` and writes the
 * output into them) cut the SDK's per-call cost? Same run, interleaved: a raw session with one reused feeds
 * object, the SDK's `OnnxNodeModel.run`, and the SDK's path with a fresh pre-allocated output per call (the
 * caller keeps each result, so the buffer cannot be reused).
 *
 *   npx tsx bench/inference/output-prealloc.ts [--provider cpu|cuda|webgpu] [--seconds 1] [--batches 1,64,1024] [--threads N]
 */
import * as ort from 'onnxruntime-node';
import { OnnxNodeRuntime } from '../../packages/node/src/onnx/index.js';
import { compare } from './measure.js';
import { benchModelBytes, benchRows, CLASSES, INPUT_WIDTH, rawSessionOptions } from './models.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const requested = flag('--provider', 'cpu');
const provider = requested === 'webgpu' || requested === 'cuda' ? requested : 'cpu';
const threads = argv.includes('--threads') ? Number(flag('--threads', '1')) : undefined;
const seconds = Number(flag('--seconds', '1'));
const batches = flag('--batches', '1,64,1024').split(',').map(Number);

const bytes = benchModelBytes(1);
const runtime = new OnnxNodeRuntime({
  executionProvider: provider,
  ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
});
const model = await runtime.loadBytes(bytes, { name: 'proposer' });
const raw = await ort.InferenceSession.create(bytes, rawSessionOptions(provider, threads));
const sdkLike = await ort.InferenceSession.create(bytes, rawSessionOptions(provider, threads));
const input = raw.inputNames[0]!;
const output = raw.outputNames[0]!;
console.log(`provider ${provider}, ${seconds} s per trial, median of 3; items/s (ratio to raw)`);
console.log('batch           raw             SDK     SDK + pre-allocated output');
for (const batch of batches) {
  const x = benchRows(batch, batch);
  const feeds = { [input]: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) };
  const [r, s, p] = await compare(
    [
      { label: 'raw', items: batch, call: () => raw.run(feeds) },
      { label: 'sdk', items: batch, call: () => model.run(x, batch) },
      {
        label: 'sdk+prealloc',
        items: batch,
        call: async () => {
          const out = new Float32Array(batch * CLASSES);
          await sdkLike.run(
            { [input]: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) },
            { [output]: new ort.Tensor('float32', out, [batch, CLASSES]) },
          );
          return out;
        },
      },
    ],
    seconds,
  );
  const cell = (t: { itemsPerSecond: number }): string =>
    `${Math.round(t.itemsPerSecond).toLocaleString('en-US')} (${(t.itemsPerSecond / r!.itemsPerSecond).toFixed(2)})`;
  console.log(
    `${String(batch).padStart(5)}  ${cell(r!).padStart(18)}  ${cell(s!).padStart(18)}  ${cell(p!).padStart(18)}`,
  );
}
await Promise.all([model.dispose(), raw.release(), sdkLike.release()]);
