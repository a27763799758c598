/**
 * Pilot of the learning bench: a few strategies (by name, including the variants defined here) on a few seeds of
 * a few sets, in one process (one core), printing each run's final accuracy and retrain decisions (p: promoted,
 * r: rejected, with the candidate's golden accuracy), then per strategy the mean and the paired difference to the
 * first strategy named. For diagnosis only; the bench is index.ts. Same seeds → the bench's figures exactly.
 *
 * Run: npx tsx bench/learning/pilot.ts --sets=clusters,nonlinear --seeds=1,2,3 --strategies=uncertainty,default
 * Options (the loop's protocol otherwise): --promote-all (policy maxGoldenDrop 1: every candidate serves, so the
 * freshest fit scores the items and is the final model, as in the scikit-learn reference), --fixed-seed (every
 * refit drawn from the loop's seed, as scikit-learn refits with one random_state), --lambda0 (policy lambdaMax 0:
 * no dissonance term in the proposer's loss), --ids (the first 40 items the oracle labelled).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trainer } from '@dissonance/core';
import { OnnxNodeRuntime } from '@dissonance/node';
import { loopTrainer } from '../../packages/cli/src/demo/loop-parts.js';
import { readEvaluationCsv } from '../../packages/cli/src/cli/evaluate-csv.js';
import { DEFAULT_SETTINGS } from '../../packages/cli/src/demo/loop-settings.js';
import { prepareSeed } from '../../packages/cli/src/demo/seed-data.js';
import { fitSeedProposer } from '../../packages/cli/src/demo/seed-proposer.js';
import { STRATEGIES, type Strategy } from '../../packages/cli/src/demo/strategies.js';
import { runStrategy } from '../../packages/cli/src/demo/strategy-run.js';
import { SUITE } from './suite.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const flag = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const uncertainty = STRATEGIES.find((s) => s.name === 'uncertainty')!;
const dissonance = STRATEGIES.find((s) => s.name === 'dissonance')!;
const VARIANTS: Strategy[] = [
  { ...uncertainty, name: 'default-cf0', kind: 'ablation', controlFraction: 0 },
  { ...dissonance, name: 'dissonance-control', kind: 'ablation', controlFraction: 0.1 },
];
const byName = new Map([...STRATEGIES, ...VARIANTS].map((s) => [s.name, s]));

const sets = (flag('sets') ?? 'clusters').split(',');
const seeds = (flag('seeds') ?? '1,2,3').split(',').map(Number);
const strategies = (flag('strategies') ?? 'uncertainty,default').split(',').map((n) => byName.get(n)!);
const promoteAll = process.argv.includes('--promote-all');
const fixedSeed = process.argv.includes('--fixed-seed');
const settings = {
  ...DEFAULT_SETTINGS,
  policy: {
    ...DEFAULT_SETTINGS.policy,
    ...(promoteAll ? { maxGoldenDrop: 1 } : {}),
    ...(process.argv.includes('--lambda0') ? { lambdaMax: 0 } : {}),
  },
};
const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1, interOpNumThreads: 1 });
const dir = mkdtempSync(join(tmpdir(), 'pilot-'));
const results: Record<string, Record<string, number[]>> = {};
try {
  for (const name of sets) {
    const set = SUITE.find((s) => s.name === name)!;
    const data = readEvaluationCsv(readFileSync(join(ROOT, set.path), 'utf8'), { label: 'label', source: set.path });
    results[name] = {};
    for (const seed of seeds) {
      const seedData = prepareSeed(data, seed);
      const budget = Math.round(0.15 * seedData.stream.rows);
      const proposer = fitSeedProposer(seedData, DEFAULT_SETTINGS, `${name}-proposer`);
      for (const strategy of strategies) {
        const run = await runStrategy({
          dataset: name,
          data: seedData,
          strategy,
          settings,
          budget,
          proposer,
          runtime,
          dir: join(dir, name, `seed-${seed}`, strategy.name),
          ...(fixedSeed ? { trainer: fixedSeedTrainer(loopTrainer(settings, runtime), seed) } : {}),
        });
        (results[name][strategy.name] ??= []).push(run.final);
        const decisions = run.versions
          .slice(1)
          .map((v) => `${v.decision[0]}${(v.goldenAccuracy * 100).toFixed(1)}`)
          .join(' ');
        console.log(
          `${name} seed ${seed} ${strategy.name.padEnd(12)} final ${(run.final * 100).toFixed(2)} labels ${run.labelsUsed} | ${decisions}`,
        );
        if (process.argv.includes('--ids')) console.log(`  ids ${run.oracleIds.slice(0, 40).join(',')}`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const meanSd = (values: readonly number[]): string => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return `${(mean * 100).toFixed(2)} ± ${(sd * 100).toFixed(2)}`;
};
for (const [set, byStrategy] of Object.entries(results)) {
  const first = Object.values(byStrategy)[0]!;
  for (const [strategy, finals] of Object.entries(byStrategy)) {
    const paired = meanSd(finals.map((f, i) => f - first[i]!));
    console.log(
      `${set} ${strategy.padEnd(12)} mean ${meanSd(finals)}, − ${strategies[0]!.name}: ${paired} (${finals.length} seeds)`,
    );
  }
}

/** Every fit drawn from the same seed (the loop's), as scikit-learn's reference refits with one random_state. */
function fixedSeedTrainer(inner: Trainer, seed: number): Trainer {
  return {
    name: inner.name,
    fit: (base, examples, constraints) => inner.fit(base, examples, { ...constraints, seed }),
  };
}
