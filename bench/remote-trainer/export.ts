/**
 * Export bench of `@dissonance/adapter-remote-trainer`: encoding one training job of 10,000 examples × 64
 * features (10 classes, 2 critics' probabilities, 1,000 reference rows with the champion's probabilities, one
 * in ten targets soft, the engine's provenance JSON per row) with `encodeJob`, against a plain `apache-arrow`
 * `tableToIPC` of the same arrays and a `JSON.stringify` of them, in the same process, alternating.
 *
 *   npm run bench:remote-trainer -- [--rows 10000] [--width 64] [--repeats 15] [--json]
 *
 * Each side is run twice untimed (JIT warm-up), then `repeats` timed rounds, each round running every side
 * once in turn; the median (and min, max) per side. Target: `encodeJob` ≤ 100 ms.
 */
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { encodeJob } from '../../packages/adapters/remote-trainer/src/index.js';
import { plainArrow, plainJson } from './baselines.js';
import { benchJob, type JobShape } from './job-data.js';

const TARGET_MS = 100;

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes an integer ≥ 1, got ${argv[at + 1]}`);
  return value;
}

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const shape: JobShape = {
  rows: option(argv, '--rows', 10_000),
  width: option(argv, '--width', 64),
  classes: 10,
  critics: 2,
  referenceRows: 1000,
};
const repeats = option(argv, '--repeats', 15);
const job = benchJob(shape);

const sides: Record<string, () => number> = {
  encodeJob: () => encodeJob(job).byteLength,
  'apache-arrow tableToIPC': () => plainArrow(job),
  'JSON.stringify': () => plainJson(job),
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
const bytes: Record<string, number> = {};
for (let warm = 0; warm < 2; warm++) for (const [name, run] of Object.entries(sides)) bytes[name] = run();
for (let round = 0; round < repeats; round++) {
  for (const [name, run] of Object.entries(sides)) {
    const start = performance.now();
    run();
    times[name]!.push(performance.now() - start);
  }
}
const stats = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianMs: median, minMs: sorted[0]!, maxMs: sorted.at(-1)! };
};
const results = Object.keys(sides).map((name) => ({ side: name, bytes: bytes[name]!, ...stats(times[name]!) }));
const encode = results[0]!;
const report = {
  job: shape,
  repeats,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  results,
  targetMs: TARGET_MS,
  meetsTarget: encode.medianMs <= TARGET_MS,
};
if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else {
  console.log(
    `export of a ${shape.rows.toLocaleString('en-US')} × ${shape.width} job (${shape.classes} classes, ${shape.critics} critics, ${shape.referenceRows} reference rows), median of ${repeats}:`,
  );
  for (const r of results)
    console.log(
      `  ${r.side.padEnd(24)} ${r.medianMs.toFixed(1).padStart(7)} ms  (min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)})  ${(r.bytes / 1024 / 1024).toFixed(2)} MiB`,
    );
  console.log(`target: encodeJob ≤ ${TARGET_MS} ms: ${report.meetsTarget ? 'met' : 'NOT met'}`);
}
