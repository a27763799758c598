/**
 * Child of bench/inference/profile/index.ts: calls `engine.process` (`engine`) or the SDK's two models
 * (`models`, `Promise.all` of both `OnnxNodeModel.run`) on one batch for `seconds` and prints `{ calls }` as
 * JSON (index.ts divides the profile's self times by it; V8's warm-up is among those calls).
 *
 *   node --import tsx bench/inference/profile/workload.ts engine|models BATCH SECONDS
 */
import { createEngine } from '../../../packages/core/src/index.js';
import { OnnxNodeRuntime } from '../../../packages/node/src/onnx/index.js';
import { benchModelBytes, benchRows, NEVER_GATED } from '../models.js';

const [mode, batchArg, secondsArg] = process.argv.slice(2);
const batch = Number(batchArg);
const seconds = Number(secondsArg);
if ((mode !== 'engine' && mode !== 'models') || !Number.isInteger(batch) || batch < 1 || !(seconds > 0)) {
  console.error('usage: workload.ts engine|models BATCH SECONDS');
  process.exit(2);
}
const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
const proposer = await runtime.loadBytes(benchModelBytes(1), { name: 'proposer', version: '1' });
const critic = await runtime.loadBytes(benchModelBytes(2), { name: 'critic', version: '1' });
const engine = createEngine({ proposer, critics: [critic], maxBatchRows: batch, concurrency: 1, policy: NEVER_GATED });
await engine.ready();
const x = benchRows(batch, batch);
const call =
  mode === 'engine'
    ? (): Promise<unknown> => engine.process({ x, rows: batch })
    : (): Promise<unknown> => Promise.all([proposer.run(x, batch), critic.run(x, batch)]);
let calls = 0;
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  await call();
  calls++;
}
await engine.stop();
console.log(JSON.stringify({ calls }));
