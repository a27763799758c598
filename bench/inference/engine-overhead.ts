/**
 * engine.process's own cost, without model time: CPU µs per batch of `engine.process` with two instant models
 * (FunctionModels returning fixed probability rows), against the same models' calls plus the detector alone,
 * interleaved. What it adds is validation, the feature copy, screening, reconcile, accounting and scheduling —
 * the part of `engine.process` that the raw two-model rate does not pay. Unlike the wall-clock ratio in
 * `index.ts`, it is not moved by onnxruntime's spinning worker threads competing for a loaded machine's cores.
 *
 *   npx tsx bench/inference/engine-overhead.ts [--seconds 2] [--json]
 */
import { createEngine, FunctionModel, totalVariation } from '../../packages/core/src/index.js';
import { benchRows, CLASSES, INPUT_WIDTH, NEVER_GATED } from './models.js';

const argv = process.argv.slice(2);
const seconds = Number(argv[argv.indexOf('--seconds') + 1] ?? 2) || 2;
const json = argv.includes('--json');

/** A model answering fixed, valid probability rows at no cost. */
function instant(name: string, seed: number, maxRows: number): FunctionModel {
  const out = new Float32Array(maxRows * CLASSES);
  let s = seed;
  for (let r = 0; r < maxRows; r++) {
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      s = (s * 16807) % 2147483647;
      out[r * CLASSES + c] = s / 2147483647;
      sum += out[r * CLASSES + c]!;
    }
    for (let c = 0; c < CLASSES; c++) out[r * CLASSES + c]! /= sum;
  }
  return new FunctionModel({
    name,
    inputWidth: INPUT_WIDTH,
    classes: CLASSES,
    run: (_x, rows) => out.subarray(0, rows * CLASSES),
  });
}

/** CPU µs per call of `f`, over `seconds` of 50 ms slices alternating with `g`'s (returns both). */
async function cpuPerCall(f: () => Promise<unknown>, g: () => Promise<unknown>): Promise<[number, number]> {
  const cpu = [0, 0];
  const calls = [0, 0];
  const fns = [f, g];
  const end = performance.now() + seconds * 1000;
  for (let round = 0; performance.now() < end; round++) {
    for (let j = 0; j < 2; j++) {
      const i = (j + round) % 2;
      const sliceEnd = performance.now() + 50;
      const c0 = process.cpuUsage();
      while (performance.now() < sliceEnd) {
        await fns[i]!();
        calls[i]!++;
      }
      const c = process.cpuUsage(c0);
      cpu[i]! += c.user + c.system;
    }
  }
  return [cpu[0]! / calls[0]!, cpu[1]! / calls[1]!];
}

const p = instant('p', 1, 4096);
const q = instant('q', 2, 4096);
const engine = createEngine({
  proposer: p,
  critics: [q],
  maxBatchRows: 4096,
  concurrency: 1,
  policy: NEVER_GATED,
});
await engine.ready();
const rows: { batch: number; modelsDetectorCpuUs: number; engineCpuUs: number; overheadCpuUs: number }[] = [];
for (const batch of [1, 64, 1024]) {
  const x = benchRows(batch, batch);
  const out = new Float32Array(batch);
  const modelsDetector = async (): Promise<unknown> => {
    const [a, b] = await Promise.all([p.run(x, batch), q.run(x, batch)]);
    return totalVariation.measure(a, b, batch, CLASSES, out);
  };
  const process1 = (): Promise<unknown> => engine.process({ x, rows: batch });
  await cpuPerCall(process1, modelsDetector);
  const [engineCpuUs, modelsDetectorCpuUs] = await cpuPerCall(process1, modelsDetector);
  rows.push({ batch, modelsDetectorCpuUs, engineCpuUs, overheadCpuUs: engineCpuUs - modelsDetectorCpuUs });
}
await engine.stop();
if (json) console.log(JSON.stringify({ seconds, rows }, null, 2));
else {
  console.log('batch  instant models + detector  engine.process  engine overhead   (CPU µs per batch)');
  for (const r of rows) {
    console.log(
      `${String(r.batch).padStart(5)}  ${r.modelsDetectorCpuUs.toFixed(1).padStart(24)}  ${r.engineCpuUs.toFixed(1).padStart(14)}  ${r.overheadCpuUs.toFixed(1).padStart(15)}`,
    );
  }
}
