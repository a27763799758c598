import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jensenShannon, proposerVsCritics, type LoadedModel, type TrainingExample } from '@dissonance/core';
import { createMlpTrainer, readOnnxMlp } from '@dissonance/core/mlp';
import { argmaxRow } from '@dissonance/core/adapter-kit';
import { OnnxNodeRuntime } from '@dissonance/node';
import { pythonOnnxFixtures } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** Digits rows and labels from the committed CSV (the data skl2onnx's fixture model was trained on). */
function digits(limit: number): { x: Float32Array; labels: number[]; rows: number } {
  const lines = readFileSync(join(ROOT, 'packages/cli/data/digits.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, limit + 1);
  const x = new Float32Array(lines.length * 64);
  const labels: number[] = [];
  lines.forEach((line, r) => {
    const cells = line.split(',').map(Number);
    x.set(cells.slice(0, 64), r * 64);
    labels.push(cells[64] ?? 0);
  });
  return { x, labels, rows: lines.length };
}

function accuracy(probs: Float32Array, labels: readonly number[], k: number): number {
  return labels.filter((label, r) => argmaxRow(probs, r * k, k) === label).length / labels.length;
}

describe('fine-tuning a skl2onnx MLPClassifier: read, fine-tune, write, run', () => {
  let dir = '';
  beforeAll(() => {
    dir = pythonOnnxFixtures('dissonance-sklearn-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fine-tunes the exported model with the built-in trainer and serves the result in onnxruntime-node', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const bytes = new Uint8Array(readFileSync(join(dir, 'sklearn_digits.onnx')));
    const base = await runtime.loadBytes(bytes, { name: 'digits', version: 'sk' });
    expect(readOnnxMlp(bytes).weights.layers.map((l) => l.outputs)).toEqual([16, 10]);
    const data = digits(600);
    const [train, test] = [
      { from: 0, to: 400 },
      { from: 400, to: 600 },
    ];
    // Flip the labels of classes 3 and 8 in the training rows: a fine-tune must visibly move the model.
    const examples: TrainingExample[] = [];
    for (let r = train.from; r < train.to; r++) {
      const label = data.labels[r] ?? 0;
      examples.push({
        id: `d${r}`,
        x: data.x.slice(r * 64, (r + 1) * 64),
        target: { kind: 'hard', label: label === 3 ? 8 : label === 8 ? 3 : label },
        weight: 1,
        provenance: { itemId: `d${r}`, origin: 'oracle', dissonance: 0, proposerVersion: 'sk', at: 0 },
      });
    }
    const testX = data.x.subarray(test.from * 64, test.to * 64);
    const constraints = {
      dTarget: 0.12,
      lambdaMax: 0.05,
      klEps: 100,
      critics: [base] as LoadedModel[],
      detector: proposerVsCritics(jensenShannon),
      reference: { x: testX, rows: 200 },
      seed: 7,
    };
    // Zero epochs: the warm start reproduces the sklearn model exactly.
    const same = await createMlpTrainer({ epochs: 0, refitBelow: 0 }).fit(base, examples, constraints);
    const sameServed = await runtime.load(same.artifact, {
      name: 'digits',
      version: 'same',
      inputWidth: 64,
      classes: 10,
    });
    const [pBase, pSame] = await Promise.all([base.run(testX, 200), sameServed.run(testX, 200)]);
    const startDiff = Math.max(...pBase.map((v, i) => Math.abs(v - (pSame[i] ?? 0))));
    expect(startDiff).toBeLessThanOrEqual(1e-5);

    const tuned = await createMlpTrainer({ epochs: 30, learningRate: 3e-3, refitBelow: 0 }).fit(
      base,
      examples,
      constraints,
    );
    expect(tuned.artifact.format).toBe('onnx');
    const served = await runtime.load(tuned.artifact, {
      name: 'digits',
      version: 'tuned',
      inputWidth: 64,
      classes: 10,
    });
    const [pServed, pTrainer] = await Promise.all([served.run(testX, 200), tuned.model.run(testX, 200)]);
    const diff = Math.max(...pServed.map((v, i) => Math.abs(v - (pTrainer[i] ?? 0))));
    expect(diff).toBeLessThanOrEqual(1e-5);
    const flipped = data.labels.slice(test.from, test.to).map((l) => (l === 3 ? 8 : l === 8 ? 3 : l));
    const before = accuracy(pBase, flipped, 10);
    const after = accuracy(pServed, flipped, 10);
    console.log(
      `sklearn digits MLP fine-tuned: warm start diff ${startDiff.toExponential(2)}, onnxruntime vs trainer ${diff.toExponential(2)}, ` +
        `accuracy on the swapped 3/8 labels ${(before * 100).toFixed(1)}% → ${(after * 100).toFixed(1)}%`,
    );
    expect(after).toBeGreaterThan(before + 0.05);
    await Promise.all([base, sameServed, served].map((m) => m.dispose?.()));
  });
});
