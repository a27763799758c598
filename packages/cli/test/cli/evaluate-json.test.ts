import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPrng, fitMlp, initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { readEvaluationCsv } from '../../src/cli/evaluate-csv.js';
import { evaluate, labelsToReach, type Evaluation } from '../../src/demo/evaluation.js';
import { evaluationTable } from '../../src/cli/evaluate-table.js';
import { pairedDifference, verdictOf } from '../../src/demo/mean-sd.js';
import { runCliAsync } from '../../src/run-cli.js';

describe('dissonance evaluate --json', () => {
  it('prints the documented JSON: dataset, protocol, strategies with finals, labels, savings, vsRandom', async () => {
    let out = '';
    let err = '';
    const code = await runCliAsync(
      [
        'evaluate',
        '--data',
        'packages/cli/data/wine.csv',
        '--label',
        'label',
        '--seeds',
        '2',
        '--strategies',
        'random,margin',
        '--json',
      ],
      { out: (t) => (out += t), err: (t) => (err += t) },
    );
    expect(code).toBe(0);
    expect(err).toBe(''); // piped: no progress bar, nothing extra
    const result = JSON.parse(out) as Evaluation;
    expect(result.dataset).toEqual({ name: 'wine', rows: 178, width: 13, classes: 3 });
    expect(result.protocol).toMatchObject({ batch: 32, budget: 0.15, seeds: [1, 2], retrainEveryBatches: 7 });
    expect(result.protocol.golden + result.protocol.seedSet + result.protocol.stream).toBe(178);
    expect(result.strategies.map((s) => s.name)).toEqual(['default', 'random', 'margin']);
    const random = result.strategies[1]!;
    for (const s of result.strategies) {
      expect(s.final.mean).toBeGreaterThan(0.5);
      expect(s.final.mean).toBeLessThanOrEqual(1);
      expect(s.finals).toHaveLength(2);
      expect(s.labels).toBeLessThanOrEqual(result.protocol.budgetLabels);
      const diffs = s.finals.map((v, i) => v - random.finals[i]!);
      expect(s.vsRandom!.mean).toBeCloseTo((diffs[0]! + diffs[1]!) / 2, 10);
      expect(s.vsRandom!.sd).toBeCloseTo(Math.abs(diffs[0]! - diffs[1]!) / Math.SQRT2, 10);
    }
    expect(random.savings).toBe(0);
    expect(random.vsRandom).toMatchObject({ mean: 0, sd: 0, z: 0 });
  }, 120_000);
});

describe('dissonance evaluate --proposer', () => {
  it("starts from the user's ONNX classifier on unscaled features", async () => {
    const csv = readEvaluationCsv(readFileSync('packages/cli/data/wine.csv', 'utf8'), { label: 'label' });
    // The user's model: a small MLP fitted on 20 raw rows, exported as ONNX.
    const targets = new Float64Array(csv.rows * 3);
    csv.labels.forEach((l, r) => (targets[r * 3 + l] = 1));
    const weights = fitMlp(
      initMlp({ inputWidth: 13, hidden: [64], classes: 3, seed: 1 }),
      {
        rows: 20,
        inputWidth: 13,
        classes: 3,
        x: csv.x.subarray(0, 20 * 13),
        targets: targets.subarray(0, 60),
        weights: new Float64Array(20).fill(1),
        critics: [],
      },
      { epochs: 5, batchSize: 8, learningRate: 1e-3, l2: 1e-4, seed: 2 },
    ).weights;
    const dir = mkdtempSync(join(tmpdir(), 'dissonance-proposer-'));
    try {
      const model = join(dir, 'model.onnx');
      writeFileSync(model, writeOnnxMlp(weights, { graphName: 'user-model' }));
      let out = '';
      let err = '';
      const code = await runCliAsync(
        [
          'evaluate',
          '--data',
          'packages/cli/data/wine.csv',
          '--label',
          'label',
          '--seeds',
          '1',
          '--strategies',
          'random',
          '--proposer',
          model,
          '--json',
        ],
        { out: (t) => (out += t), err: (t) => (err += t) },
      );
      expect(err).toBe('');
      expect(code).toBe(0);
      const result = JSON.parse(out) as Evaluation;
      expect(result.strategies.map((s) => s.name)).toEqual(['default', 'random']);
      for (const s of result.strategies) expect(s.finals).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('evaluate() API', () => {
  it('runs the protocol on arrays', async () => {
    const prng = createPrng(5);
    const rows = 400;
    const width = 4;
    const x = new Float32Array(rows * width);
    const labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      labels[r] = r % 2;
      for (let c = 0; c < width; c++) x[r * width + c] = prng.normal() + (c === 0 ? 2 * labels[r]! : 0);
    }
    const result = await evaluate({ x, rows, width, labels, name: 'blobs', seeds: 1, strategies: ['random'] });
    expect(result.dataset).toEqual({ name: 'blobs', rows: 400, width: 4, classes: 2 });
    expect(result.strategies.map((s) => s.name)).toEqual(['default', 'random']);
    expect(result.strategies[0]!.final.mean).toBeGreaterThan(0.75);
    await expect(evaluate({ x, rows, width: 3, labels })).rejects.toMatchObject({ code: 'E_INPUT' });
    await expect(evaluate({ x, rows, width, labels, strategies: ['Random'] })).rejects.toMatchObject({
      code: 'E_INPUT',
      message: expect.stringContaining('unknown strategy "Random"'),
    });
  }, 120_000);

  it('reads savings off the curve by linear interpolation', () => {
    const curve = [
      { labels: 0, accuracy: { mean: 0.8, sd: 0 } },
      { labels: 100, accuracy: { mean: 0.9, sd: 0 } },
      { labels: 200, accuracy: { mean: 0.95, sd: 0 } },
    ];
    expect(labelsToReach(curve, 0.85)).toBeCloseTo(50);
    expect(labelsToReach(curve, 0.95)).toBeCloseTo(200);
    expect(labelsToReach(curve, 0.96)).toBeUndefined();
  });
});

describe('the verdict against random', () => {
  it('has no z, and calls no winner, without a standard error', () => {
    expect(pairedDifference([0.05])).toEqual({ mean: 0.05, sd: 0, z: null });
    expect(pairedDifference([0.05, 0.05, 0.05]).z).toBe(null);
    expect(pairedDifference([0, 0]).z).toBe(0);
    expect(pairedDifference([0]).z).toBe(null);
    expect(verdictOf(pairedDifference([0.05]))).toBe(0);
    expect(verdictOf(pairedDifference([0.05, 0.06, 0.04]))).toBe(1);
    expect(verdictOf(pairedDifference([-0.05, -0.06, -0.04]))).toBe(-1);
    expect(verdictOf(pairedDifference([0.05, -0.04, 0.01]))).toBe(0);
  });

  it('says so in the table, and says why a savings cell is empty', () => {
    const strategy = (name: string, start: number, final: number, finals: number[], z: number | null) => ({
      name,
      label: name,
      kind: 'baseline' as const,
      start: { mean: start, sd: 0 },
      final: { mean: final, sd: 0 },
      finals,
      labels: 10,
      savings: null,
      vsRandom: { mean: final - 0.8, sd: 0, z },
    });
    const evaluation = (random: boolean, randomFinal: number): Evaluation => ({
      dataset: { name: 'd', rows: 10, width: 1, classes: 2 },
      protocol: {
        golden: 2,
        seedSet: 1,
        stream: 7,
        batch: 32,
        budget: 0.15,
        budgetLabels: 1,
        seeds: [1],
        retrainEveryBatches: 7,
      },
      strategies: [
        strategy('default', 0.7, 0.85, [0.85], null),
        ...(random ? [strategy('random', 0.7, randomFinal, [randomFinal], 0)] : []),
      ],
      seconds: 1,
    });
    const cells = (e: Evaluation): string[] =>
      evaluationTable(e)
        .split('\n')[2]!
        .trim()
        .split(/\s{2,}/);
    expect(cells(evaluation(true, 0.8))).toEqual([
      'default',
      '85.00 ± 0.00',
      '+5.00 ± 0.00',
      'n/a',
      'not reached',
      '10',
    ]);
    expect(cells(evaluation(true, 0.7))[4]).toBe('random gained 0');
    const alone = {
      ...evaluation(false, 0),
      strategies: [{ ...evaluation(false, 0).strategies[0]!, vsRandom: undefined }],
    };
    expect(cells(alone)).toEqual(['default', '85.00 ± 0.00', '—', 'no random', '10']);
  });
});
