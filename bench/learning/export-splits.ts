/**
 * Writes the SDK's splits of every set of the suite, so the scikit-learn reference runs on the same rows
 * (golden holdout, seed set, stream order) as the SDK and the two are compared seed by seed.
 *
 * Run: npx tsx bench/learning/export-splits.ts OUT [--seeds=10]
 * Writes OUT/splits-<set>.json: `{ "<seed>": { golden: number[], seedSet: number[], stream: number[] } }`,
 * row indexes of the CSV in the order the SDK streams them (what `prepareSeed` uses).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededSplit } from '@dissonance/core/mlp';
import { readEvaluationCsv } from '../../packages/cli/src/cli/evaluate-csv.js';
import { SUITE } from './suite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const out = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'reports/bench-learning');
const seeds = Number(process.argv.find((a) => a.startsWith('--seeds='))?.split('=')[1] ?? 10);
mkdirSync(out, { recursive: true });
for (const set of SUITE) {
  const data = readEvaluationCsv(readFileSync(join(ROOT, set.path), 'utf8'), { label: 'label', source: set.path });
  const splits: Record<number, ReturnType<typeof seededSplit>> = {};
  for (let seed = 1; seed <= seeds; seed++)
    splits[seed] = seededSplit(data.rows, { seed, golden: 0.2, seedSet: 0.05, labels: data.labels });
  writeFileSync(join(out, `splits-${set.name}.json`), JSON.stringify(splits));
}
