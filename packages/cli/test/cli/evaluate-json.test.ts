import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPrng, fitMlp, initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { readEvaluationCsv } from '../../src/cli/evaluate-csv.js';
import { evaluate, labelsToReach, type Evaluation } from '../../src/demo/evaluation.js';
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
