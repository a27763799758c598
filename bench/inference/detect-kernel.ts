/**
 * The engine's total variation and screen (`totalVariationMarks`, what the detect stage and `totalVariation.measure`
 * run) through the WebAssembly SIMD kernel and through its JavaScript twin, on warm data: µs per call at each row
 * count, 10 classes, and which of the two `totalVariationMarks` picks there (the kernel from
 * `TOTAL_VARIATION_SIMD_FROM` values per array). The two write the same bits; this says what each costs.
 *
 *   npx tsx bench/inference/detect-kernel.ts [--rows 1,4,8,16,32,64,1024] [--json]
 */
import {
  TOTAL_VARIATION_SIMD_FROM,
  totalVariationJs,
  totalVariationSimd,
} from '../../packages/core/src/simd/total-variation-simd.js';
import { screenTolerance } from '../../packages/core/src/reconcile/screen-total-variation.js';
import { OUTPUT_TOLERANCE } from '../../packages/core/src/reconcile/gate-rows.js';
import { CLASSES } from './models.js';

const argv = process.argv.slice(2);
const rowsAt = argv.indexOf('--rows');
const rowCounts = (rowsAt < 0 ? '1,4,8,16,32,64,1024' : (argv[rowsAt + 1] ?? '')).split(',').map(Number);
if (rowCounts.some((r) => !Number.isInteger(r) || r < 1)) {
  console.error('usage: tsx bench/inference/detect-kernel.ts [--rows 1,4,8,16,32,64,1024] [--json]');
  process.exit(2);
}
const json = argv.includes('--json');

/** `rows` seeded probability rows. */
function probabilities(rows: number, seed: number): Float32Array {
  const out = new Float32Array(rows * CLASSES);
  let s = seed;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      s = (s * 16807) % 2147483647;
      sum += out[r * CLASSES + c] = s / 2147483647;
    }
    for (let c = 0; c < CLASSES; c++) out[r * CLASSES + c]! /= sum;
  }
  return out;
}

/** µs per call of `f`, the best of 5 rounds of about 0.2 s each. */
function time(f: () => unknown): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < 100; i++) f();
      calls += 100;
      elapsed = performance.now() - start;
    } while (elapsed < 200);
    best = Math.min(best, (elapsed * 1000) / calls);
  }
  return best;
}

const inside = screenTolerance(OUTPUT_TOLERANCE, CLASSES);
const results = rowCounts.map((rows) => {
  const p = probabilities(rows, 1);
  const q = probabilities(rows, 2);
  const values = new Float32Array(rows);
  const range = new Float64Array(2);
  const kernelRuns = totalVariationSimd(p, q, rows, CLASSES, inside, values, range) !== null;
  // The kernel at any size (the threshold applies to totalVariationMarks, not to this comparison).
  const kernelUs = kernelRuns ? time(() => totalVariationSimd(p, q, rows, CLASSES, inside, values, range)) : Number.NaN;
  const loopUs = time(() => totalVariationJs(p, q, rows, CLASSES, inside, values, range));
  return { rows, kernelUs, loopUs, picked: rows * CLASSES >= TOTAL_VARIATION_SIMD_FROM ? 'kernel' : 'loop' };
});
if (json) console.log(JSON.stringify({ classes: CLASSES, results }, null, 2));
else {
  console.log(`total variation + screen, ${CLASSES} classes, µs per call (warm data, best of 5 rounds)`);
  console.log(' rows   kernel  JavaScript  totalVariationMarks runs');
  for (const r of results) {
    const kernel = Number.isNaN(r.kernelUs) ? '—' : r.kernelUs.toFixed(3);
    console.log(
      `${String(r.rows).padStart(5)}  ${kernel.padStart(7)}  ${r.loopUs.toFixed(3).padStart(10)}  ${r.picked}`,
    );
  }
}
