/**
 * Other ways to run the proposer and the critic of a batch than two sessions back to back on the main thread,
 * against exactly that (the raw two-model rate of issue 18's `engine.process` target), in one interleaved run.
 * onnxruntime-node's `run` is synchronous native code on the calling thread, so the two models run one after the
 * other there; a worker thread could run the critic while the main thread runs the proposer, and one session
 * holding both models would pay onnxruntime's per-call cost once. Measured in session 12 (docs/benchmarks.md); the
 * SDK adopted the one graph in session 13 (`pairOnnxGraphs`, `OnnxNodeModel.pairWith`), the rest not:
 *
 *   round trip     an empty job to a worker and back: `postMessage` both ways, and an `Atomics` doorbell
 *                  (`Atomics.wait` in the worker, `Atomics.waitAsync` on the main thread) with the payload read
 *                  by `receiveMessageOnPort`
 *   raw            the two raw sessions back to back on the main thread (the bench's baseline)
 *   main + worker  the proposer on the main thread while the critic runs on a worker (one intra-op thread each),
 *                  input as a plain array (cloned) and as a SharedArrayBuffer view (copied in the worker)
 *   two workers    both models on workers, shared input
 *   one graph      both models' graphs side by side in one session, sharing the input (the critic's names
 *                  prefixed), both outputs fetched: `pairOnnxGraphs`, what the engine runs once paired
 *   one MLP        a 64-256-20 MLP: the two hidden layers as one wider layer, the output layer dense where the
 *                  pair's is block-diagonal (as much arithmetic as the pair, or more, in fewer, larger kernels)
 *
 *   npx tsx bench/inference/two-models/index.ts [--batches 64,1024] [--seconds 1.5] [--json]
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { writeOnnxMlp } from '../../../packages/core/src/onnx/index.js';
import { pairOnnxGraphs } from '../../../packages/core/src/onnx/pair-graphs.js';
import { initMlp } from '../../../packages/core/src/train/mlp-init.js';
import { sideBenchArgs } from '../args.js';
import { compare, type Workload } from '../measure.js';
import { benchModelBytes, benchRows, CLASSES, HIDDEN, INPUT_WIDTH, rawSessionOptions } from '../models.js';

const { batches, seconds, json } = sideBenchArgs(
  process.argv.slice(2),
  1.5,
  'usage: tsx bench/inference/two-models/index.ts [--batches 64,1024] [--seconds S] [--json]',
);

/** `Atomics.waitAsync` (Node 16+, V8), missing from the TypeScript lib this repository targets. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** A model (or an echo) on its own worker thread; `call` sends one job and resolves with the answer. */
interface Offloaded {
  call(message: unknown): Promise<unknown>;
  stop(): Promise<number>;
}

async function offload(bytes: Uint8Array | undefined): Promise<Offloaded> {
  const bell = new SharedArrayBuffer(8);
  const doorbell = new Int32Array(bell);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./session-worker.mjs', import.meta.url), {
    workerData: { bytes, options: rawSessionOptions('cpu', 1), bell, port: port2, echo: bytes === undefined },
    transferList: [port2],
  });
  await new Promise((resolve) => worker.once('message', resolve));
  let posted = 0;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    call(message) {
      const job = tail.then(async () => {
        port1.postMessage(message);
        posted++;
        Atomics.add(doorbell, 0, 1);
        Atomics.notify(doorbell, 0);
        for (;;) {
          const answer = receiveMessageOnPort(port1);
          if (answer !== undefined) return answer.message;
          const wait = waitAsync(doorbell, 1, posted - 1);
          if (wait.async) await wait.value;
        }
      });
      tail = job;
      return job;
    },
    stop: () => worker.terminate(),
  };
}

/** µs per round trip of an empty message answered over `postMessage` events (no doorbell). */
async function postMessageRoundTrip(calls: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads'); workerData.port.on('message', (m) => workerData.port.postMessage(m));`,
    { eval: true, workerData: { port: port2 }, transferList: [port2] },
  );
  const once = (): Promise<unknown> =>
    new Promise((resolve) => {
      port1.once('message', resolve);
      port1.postMessage(1);
    });
  for (let i = 0; i < calls / 10; i++) await once();
  const start = performance.now();
  for (let i = 0; i < calls; i++) await once();
  const micros = ((performance.now() - start) * 1000) / calls;
  port1.close();
  await worker.terminate();
  return micros;
}

async function doorbellRoundTrip(calls: number): Promise<number> {
  const echo = await offload(undefined);
  for (let i = 0; i < calls / 10; i++) await echo.call(1);
  const start = performance.now();
  for (let i = 0; i < calls; i++) await echo.call(1);
  const micros = ((performance.now() - start) * 1000) / calls;
  await echo.stop();
  return micros;
}

const roundTrip = {
  postMessageMicros: await postMessageRoundTrip(20_000),
  doorbellMicros: await doorbellRoundTrip(20_000),
};
if (!json) {
  console.log(
    `worker round trip, empty job: postMessage ${roundTrip.postMessageMicros.toFixed(1)} µs, Atomics doorbell ${roundTrip.doorbellMicros.toFixed(1)} µs`,
  );
}

const proposerBytes = benchModelBytes(1);
const criticBytes = benchModelBytes(2);
const rawProposer = await ort.InferenceSession.create(proposerBytes, rawSessionOptions('cpu', undefined));
const rawCritic = await ort.InferenceSession.create(criticBytes, rawSessionOptions('cpu', undefined));
// Both models' graphs in one, reading the same input (the critic's names prefixed): what the engine now runs.
const rawPair = await ort.InferenceSession.create(
  pairOnnxGraphs(proposerBytes, criticBytes).bytes,
  rawSessionOptions('cpu', undefined),
);
/** Largest |Δ| between the side-by-side graph's two outputs and the two sessions' (the merge is exact). */
async function sideBySideDelta(rows: number): Promise<number> {
  const feeds = { features: new ort.Tensor('float32', benchRows(rows, 7), [rows, INPUT_WIDTH]) };
  const [p, q, both] = await Promise.all([rawProposer.run(feeds), rawCritic.run(feeds), rawPair.run(feeds)]);
  const pairs = [
    [Object.values(p)[0]!.data, both[rawPair.outputNames[0]!]!.data],
    [Object.values(q)[0]!.data, both[rawPair.outputNames[1]!]!.data],
  ] as const;
  let delta = 0;
  for (const [alone, merged] of pairs)
    for (let i = 0; i < alone.length; i++) delta = Math.max(delta, Math.abs(Number(alone[i]) - Number(merged[i])));
  return delta;
}
const mergedMaxDelta = await sideBySideDelta(256);
if (!json) console.log(`one graph vs two sessions, 256 rows: max |Δ| ${mergedMaxDelta}`);
const fusedBytes = writeOnnxMlp(
  initMlp({ inputWidth: INPUT_WIDTH, hidden: HIDDEN.map((h) => 2 * h), classes: 2 * CLASSES, seed: 3 }),
  {},
);
const rawFused = await ort.InferenceSession.create(fusedBytes, rawSessionOptions('cpu', undefined));
const mainProposer = await ort.InferenceSession.create(proposerBytes, rawSessionOptions('cpu', 1));
const workerProposer = await offload(proposerBytes);
const workerCritic = await offload(criticBytes);

const results: { batch: number; workloads: { label: string; microsPerCall: number; ratioToRaw: number }[] }[] = [];
for (const batch of batches) {
  const x = benchRows(batch, batch);
  const shared = new Float32Array(new SharedArrayBuffer(x.byteLength));
  shared.set(x);
  const feeds = { features: new ort.Tensor('float32', x, [batch, INPUT_WIDTH]) };
  const job = (input: Float32Array): unknown => ({ x: input, rows: batch, width: INPUT_WIDTH });
  const workloads: Workload[] = [
    {
      label: 'raw, back to back',
      items: batch,
      call: () => Promise.all([rawProposer.run(feeds), rawCritic.run(feeds)]),
    },
    {
      label: 'main + worker, cloned input',
      items: batch,
      call: () => Promise.all([mainProposer.run(feeds), workerCritic.call(job(x))]),
    },
    {
      label: 'main + worker, shared input',
      items: batch,
      call: () => Promise.all([mainProposer.run(feeds), workerCritic.call(job(shared))]),
    },
    {
      label: 'two workers, shared input',
      items: batch,
      call: () => Promise.all([workerProposer.call(job(shared)), workerCritic.call(job(shared))]),
    },
    { label: 'one graph, both models', items: batch, call: () => rawPair.run(feeds) },
    { label: 'one MLP 64-256-20', items: batch, call: () => rawFused.run(feeds) },
  ];
  const timed = await compare(workloads, seconds, 3, 0.05, 1);
  const raw = timed[0]!.itemsPerSecond;
  results.push({
    batch,
    workloads: workloads.map((w, i) => ({
      label: w.label,
      microsPerCall: (batch / timed[i]!.itemsPerSecond) * 1e6,
      ratioToRaw: timed[i]!.itemsPerSecond / raw,
    })),
  });
  if (!json) {
    console.log(`\nbatch ${batch}`);
    for (const w of results.at(-1)!.workloads)
      console.log(
        `${w.label.padEnd(30)} ${w.microsPerCall.toFixed(1).padStart(8)} µs   ${w.ratioToRaw.toFixed(3)}× raw`,
      );
  }
}
await Promise.all([workerProposer.stop(), workerCritic.stop()]);
if (json) console.log(JSON.stringify({ roundTrip, mergedMaxDelta, results }, null, 2));
