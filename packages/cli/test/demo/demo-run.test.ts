import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../src/demo/demo-result.js';
import { runDemo } from '../../src/demo/run-demo.js';
import { prepareSeed } from '../../src/demo/seed-data.js';
import { loadDataset } from '../../src/demo/load-dataset.js';
import type { StrategyRun } from '../../src/demo/strategy-run.js';

const withoutTime = (r: DemoResult): Omit<DemoResult, 'seconds'> => {
  const { seconds: _seconds, ...rest } = r;
  return rest;
};

describe('dissonance demo (breast_cancer, 1 seed)', () => {
  it('same seed → identical numbers; golden never trained on; labels counted honestly', async () => {
    const runs: { strategy: string; seed: number; run: StrategyRun }[] = [];
    const options = { dataset: 'breast_cancer', seeds: 1, strategies: ['random', 'uncertainty', 'ceiling'] } as const;
    const a = await runDemo({ ...options, onRun: (strategy, seed, run) => runs.push({ strategy, seed, run }) });
    const b = await runDemo(options);
    expect(withoutTime(b)).toEqual(withoutTime(a));

    const data = prepareSeed(loadDataset('breast_cancer'), 1);
    const golden = new Set(data.golden.ids);
    const budget = Math.round(0.15 * data.stream.rows);
    expect(a.strategies.map((s) => s.name)).toEqual(['default', 'random', 'uncertainty', 'ceiling']);
    for (const { strategy, run } of runs) {
      expect(run.trainedIds.filter((id) => golden.has(id))).toEqual([]);
      expect(new Set(run.oracleIds).size).toBe(run.oracleIds.length);
      expect(run.labelsUsed).toBe(run.oracleIds.length);
      for (const id of data.seedSet.ids) expect(run.trainedIds).toContain(id);
      if (strategy === 'ceiling') expect(run.labelsUsed).toBeGreaterThan(budget);
      else expect(run.labelsUsed).toBeLessThanOrEqual(budget);
      expect(run.seedOnly).toBe(runs[0]!.run.seedOnly);
    }
  }, 60_000);

  it('--inject-regression: the validator rolls the flipped-label candidate back; champion = last good version', async () => {
    const result = await runDemo({ dataset: 'breast_cancer', seeds: 1, strategies: [], injectRegression: true });
    expect(result.injectRegression).toBe(true);
    const rejected = result.versions.filter((v) => v.decision === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected[0]!.reason).toContain('injected regression');
    const lastGood = [...result.versions].reverse().find((v) => v.decision === 'promoted' || v.decision === 'initial');
    expect(result.champion).toBe(lastGood!.version);
  }, 60_000);
});
