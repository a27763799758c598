/**
 * The learning bench: the demo's protocol (golden 20 %, seed set 5 %, batches of 32, 15 % label budget,
 * a retrain every 7 batches) over the suite of bench/learning/suite.ts, 10 seeds, every SDK strategy, next
 * to a scikit-learn reference loop under the same protocol (bench/learning/sklearn_reference.py).
 *
 * Run (CPU-heavy: about half an hour on 2 shared cores):
 *   .venv/bin/python bench/learning/make_synthetic.py          # once: the synthetic sets
 *   bash bench/learning/run-sklearn.sh reports/bench-learning  # the scikit-learn reference
 *   npx tsx bench/learning/index.ts reports/bench-learning     # the SDK runs, then the tables
 * Options: --seeds=N (default 10), --only=digits,wine, --tables (only rebuild the tables from the JSON files).
 * Writes OUT/sdk-<set>.json (the `dissonance evaluate` JSON) and OUT/tables.md (what docs/benchmarks.md holds).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEvaluationCsv } from '../../packages/cli/src/cli/evaluate-csv.js';
import { evaluationOf } from '../../packages/cli/src/demo/evaluation.js';
import { runDemo } from '../../packages/cli/src/demo/run-demo.js';
import { suiteTables } from './tables.js';
import { BENCH_STRATEGIES, SUITE } from './suite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function flag(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}`));
  return arg === undefined ? undefined : (arg.split('=')[1] ?? '');
}

async function main(): Promise<void> {
  const out = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'reports/bench-learning');
  mkdirSync(out, { recursive: true });
  const seeds = Number(flag('seeds') ?? 10);
  const only = flag('only')?.split(',');
  if (flag('tables') === undefined) {
    for (const set of SUITE.filter((s) => only === undefined || only.includes(s.name))) {
      const path = join(ROOT, set.path);
      const options = { label: 'label', source: set.path };
      const data = readEvaluationCsv(readFileSync(path, 'utf8'), options);
      const started = performance.now();
      const result = await runDemo({
        dataset: set.name,
        data,
        csv: { path, options },
        seeds,
        strategies: BENCH_STRATEGIES,
        workers: Math.min(2, availableParallelism()),
        workerCommand: [process.execPath, ...process.execArgv, join(ROOT, 'packages/cli/src/cli.ts')],
      });
      writeFileSync(join(out, `sdk-${set.name}.json`), `${JSON.stringify(evaluationOf(result), null, 2)}\n`);
      console.log(`${set.name}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  const available = SUITE.filter((s) => existsSync(join(out, `sdk-${s.name}.json`)));
  const tables = suiteTables(available, out);
  writeFileSync(join(out, 'tables.md'), tables);
  console.log(tables);
}

await main();
