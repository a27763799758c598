import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DivergenceName } from '../../src/train/divergence-terms.js';
import { lossAndGradient } from '../../src/train/mlp-gradients.js';
import { layoutForWidths } from '../../src/train/mlp-layout.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface TorchCase {
  divergence: DivergenceName;
  loss: number;
  crossEntropy: number;
  dissonance: number;
  grads: { weight: number[]; bias: number[] }[];
}

interface TorchDoc {
  widths: number[];
  layers: { weight: number[]; bias: number[] }[];
  rows: number;
  x: number[];
  targets: number[];
  weights: number[];
  critics: number[][];
  lambda: number;
  dTarget: number;
  torch: string;
  cases: TorchCase[];
}

describe('lossAndGradient against PyTorch autograd (float64)', () => {
  let dir = '';
  let doc: TorchDoc;

  beforeAll(() => {
    const lines = execFileSync('bash', [join(ROOT, 'scripts/python-env.sh')], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n');
    const python = lines[lines.length - 1]!;
    dir = mkdtempSync(join(tmpdir(), 'torch-gradients-'));
    const out = join(dir, 'torch-gradients.json');
    execFileSync(python, [join(ROOT, 'scripts/python/torch_gradients.py'), out], { cwd: ROOT, encoding: 'utf8' });
    doc = JSON.parse(readFileSync(out, 'utf8')) as TorchDoc;
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same loss and gradients for every divergence, within 1e-5', () => {
    const layout = layoutForWidths(doc.widths);
    const params = new Float64Array(layout.size);
    doc.layers.forEach((layer, l) => {
      params.set(layer.weight, layout.weightOffsets[l]);
      params.set(layer.bias, layout.biasOffsets[l]);
    });
    const batch = {
      x: Float64Array.from(doc.x),
      rows: doc.rows,
      targets: Float64Array.from(doc.targets),
      weights: Float64Array.from(doc.weights),
      critics: doc.critics.map((q) => Float64Array.from(q)),
    };
    expect(doc.cases.map((c) => c.divergence)).toContain('jensen-shannon');
    for (const reference of doc.cases) {
      const grad = new Float64Array(layout.size);
      const value = lossAndGradient(
        layout,
        params,
        batch,
        { lambda: doc.lambda, dTarget: doc.dTarget, divergence: reference.divergence },
        grad,
      );
      expect(reference.dissonance).toBeGreaterThan(doc.dTarget);
      const expected = new Float64Array(layout.size);
      reference.grads.forEach((g, l) => {
        expected.set(g.weight, layout.weightOffsets[l]);
        expected.set(g.bias, layout.biasOffsets[l]);
      });
      let maxAbs = 0;
      let maxRel = 0;
      for (let k = 0; k < layout.size; k++) {
        const gap = Math.abs(grad[k]! - expected[k]!);
        maxAbs = Math.max(maxAbs, gap);
        maxRel = Math.max(maxRel, gap / Math.max(Math.abs(expected[k]!), 1e-12));
      }
      const lossGap = Math.abs(value.loss - reference.loss);
      console.log(
        `torch ${doc.torch} ${reference.divergence} (6-8-8-4, ${layout.size} params): loss ${reference.loss.toFixed(12)} |Δloss| ${lossGap.toExponential(2)}, ` +
          `|ΔD| ${Math.abs(value.dissonance - reference.dissonance).toExponential(2)}, gradients max abs diff ${maxAbs.toExponential(2)}, max rel diff ${maxRel.toExponential(2)}`,
      );
      expect(lossGap).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(value.crossEntropy - reference.crossEntropy)).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(value.dissonance - reference.dissonance)).toBeLessThanOrEqual(1e-5);
      expect(maxAbs).toBeLessThanOrEqual(1e-5);
      expect(maxRel).toBeLessThanOrEqual(1e-5);
    }
  });
});
