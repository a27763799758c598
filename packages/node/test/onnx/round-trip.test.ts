import { MicroBatcher } from '@dissonance/core';
import { describe, expect, it } from 'vitest';
import { OnnxNodeRuntime } from '../../src/onnx/index.js';
import { mlpForward, randomMlp, randomRows, writeOnnxMlp } from './fixtures.js';

describe('writeOnnxMlp → onnxruntime-node round trip', () => {
  it('mlpForward and OnnxNodeModel.run agree on 1,000 rows of a random 20-32-16-5 MLP', async () => {
    const weights = randomMlp([20, 32, 16, 5], 2024);
    const model = await new OnnxNodeRuntime({ executionProvider: 'cpu' }).loadBytes(writeOnnxMlp(weights), {
      name: 'mlp',
    });
    expect(model).toMatchObject({ inputWidth: 20, classes: 5, outputKind: 'probabilities' });
    const rows = 1000;
    const x = randomRows(rows, 20, 99);
    const got = await model.run(x, rows);
    const want = mlpForward(weights, x, rows);
    let maxAbs = 0;
    for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - want[i]!));
    console.log(`round trip 20-32-16-5, ${rows} rows: max |mlpForward − onnxruntime| = ${maxAbs.toExponential(2)}`);
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
    await model.dispose();
  });

  it('a MicroBatcher over an OnnxNodeModel returns each caller its own rows', async () => {
    const weights = randomMlp([20, 32, 16, 5], 7);
    const model = await new OnnxNodeRuntime({ executionProvider: 'cpu' }).loadBytes(writeOnnxMlp(weights));
    const batcher = new MicroBatcher(model, { maxBatch: 64, maxDelayMs: 1 });
    const rows = 300;
    const x = randomRows(rows, 20, 5);
    const outs = await Promise.all(
      Array.from({ length: rows }, (_, r) => batcher.run(x.subarray(r * 20, (r + 1) * 20), 1)),
    );
    const want = mlpForward(weights, x, rows);
    outs.forEach((out, r) => {
      for (let c = 0; c < 5; c++) expect(Math.abs(out[c]! - want[r * 5 + c]!)).toBeLessThan(1e-5);
    });
    expect(batcher.stats.batches).toBeLessThanOrEqual(Math.ceil(rows / 64) + 1);
    await batcher.dispose();
  });
});
