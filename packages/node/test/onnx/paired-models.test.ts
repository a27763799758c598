import { createEngine, FunctionModel, type Logger } from '@dissonance/core';
import { decodeOnnxModel } from '@dissonance/core/mlp';
import { describe, expect, it } from 'vitest';
// Test-only: re-encode a decoded graph after editing it (not part of the public API).
import { encodeOnnxModel } from '../../../core/src/onnx/encode-model.js';
import { OnnxNodeRuntime } from '../../src/onnx/index.js';
import { randomMlp, randomRows, writeLogitsMlp, writeOnnxMlp } from './fixtures.js';

const same = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describe('OnnxNodeModel.pairWith: two models in one onnxruntime session', () => {
  it('gives exactly the two models’ outputs, a logits model’s through its softmax, on 1 to 300 rows', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const proposer = await runtime.loadBytes(writeOnnxMlp(randomMlp([16, 24, 5], 1)), { name: 'p', version: '1' });
    const critic = await runtime.loadBytes(writeLogitsMlp(randomMlp([16, 32, 8, 5], 2)), { name: 'c', version: '1' });
    expect(critic.outputKind).toBe('logits');
    const pair = await proposer.pairWith(critic);
    expect(pair).toBeDefined();
    for (const rows of [1, 7, 300]) {
      const x = randomRows(rows, 16, rows);
      const [p, q] = await pair!.run(x, rows);
      expect(same(p, await proposer.run(x, rows))).toBe(0);
      expect(same(q, await critic.run(x, rows))).toBe(0);
    }
    expect(await pair!.run(new Float32Array(0), 0)).toEqual([new Float32Array(0), new Float32Array(0)]);
    await expect(pair!.run(new Float32Array(15), 1)).rejects.toMatchObject({ code: 'E_INPUT' });
    // Disposing the model disposes its pairs.
    await proposer.dispose();
    await expect(pair!.run(randomRows(1, 16, 1), 1)).rejects.toMatchObject({ code: 'E_MODEL' });
    await pair!.dispose();
    await critic.dispose();
  });

  it('pairs only models of one runtime, provider and input shape, within pairMaxBytes', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const other = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const off = new OnnxNodeRuntime({ executionProvider: 'cpu', pairMaxBytes: 0 });
    const small = new OnnxNodeRuntime({ executionProvider: 'cpu', pairMaxBytes: 1000 });
    const bytes = writeOnnxMlp(randomMlp([16, 24, 5], 1));
    const a = await runtime.loadBytes(bytes, { name: 'a' });
    const b = await runtime.loadBytes(writeOnnxMlp(randomMlp([16, 24, 5], 2)), { name: 'b' });
    const wider = await runtime.loadBytes(writeOnnxMlp(randomMlp([17, 24, 5], 3)), { name: 'wider' });
    const elsewhere = await other.loadBytes(bytes, { name: 'elsewhere' });
    const [offA, offB] = await Promise.all([off.loadBytes(bytes), off.loadBytes(bytes)]);
    const [smallA, smallB] = await Promise.all([small.loadBytes(bytes), small.loadBytes(bytes)]);
    const fn = new FunctionModel({
      name: 'f',
      inputWidth: 16,
      classes: 5,
      run: (_x, rows) => new Float32Array(rows * 5),
    });
    expect(await a.pairWith(a)).toBeUndefined();
    expect(await a.pairWith(wider)).toBeUndefined();
    expect(await a.pairWith(elsewhere)).toBeUndefined();
    expect(await a.pairWith(fn)).toBeUndefined();
    expect(await offA.pairWith(offB)).toBeUndefined();
    expect(bytes.length * 2).toBeGreaterThan(1000);
    expect(await smallA.pairWith(smallB)).toBeUndefined();
    const pair = await a.pairWith(b);
    expect(pair).toBeDefined();
    await b.dispose();
    expect(await a.pairWith(b)).toBeUndefined();
    await pair!.dispose();
    await pair!.dispose();
    await Promise.all([a, wider, elsewhere, offA, offB, smallA, smallB].map((m) => m.dispose()));
    expect(() => new OnnxNodeRuntime({ pairMaxBytes: -1 })).toThrow(/pairMaxBytes must be a non-negative integer/);
  });

  it('rejects with E_MODEL naming why two graphs cannot be merged', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const a = await runtime.loadBytes(writeOnnxMlp(randomMlp([16, 24, 5], 1)), { name: 'a' });
    const model = decodeOnnxModel(writeOnnxMlp(randomMlp([16, 24, 5], 2)));
    const newer = encodeOnnxModel({ ...model, opsetImport: [{ domain: '', version: 18 }] });
    const b = await runtime.loadBytes(newer, { name: 'b' });
    await expect(a.pairWith(b)).rejects.toThrow(
      /cannot pair these ONNX models: operator set "ai.onnx" is version 17 in one model, 18 in the other/,
    );
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('serves an engine’s batches through the pair, with the same results as two sessions', async () => {
    const lines: string[] = [];
    const log = (_fields: object, message?: string) => lines.push(message ?? '');
    const logger: Logger = { debug: log, info: log, warn: log, error: log };
    const paired = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const apart = new OnnxNodeRuntime({ executionProvider: 'cpu', pairMaxBytes: 0 });
    const p = writeOnnxMlp(randomMlp([16, 24, 5], 1));
    const c = writeOnnxMlp(randomMlp([16, 24, 5], 2));
    const engines = await Promise.all(
      [paired, apart].map(async (runtime) =>
        createEngine({
          proposer: await runtime.loadBytes(p, { name: 'p', version: '1' }),
          critics: [await runtime.loadBytes(c, { name: 'c', version: '1' })],
          policy: { maxDissonance: 1 },
          logger,
        }),
      ),
    );
    await Promise.all(engines.map((e) => e.ready()));
    const x = randomRows(50, 16, 9);
    await Promise.all(engines.map((e) => e.process({ x, rows: 50 })));
    // The pair opens and passes its probe in the background.
    for (let i = 0; i < 100 && !lines.includes('champion and critic run as one model'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lines).toContain('champion and critic run as one model');
    expect((await engines[0]!.health()).pairedWithCritic).toBe(true);
    expect((await engines[1]!.health()).pairedWithCritic).toBe(false);
    const [one, two] = await Promise.all(engines.map((e) => e.process({ x, rows: 50 })));
    expect(same(one!.probabilities, two!.probabilities)).toBe(0);
    expect(same(one!.dissonance, two!.dissonance)).toBe(0);
    await Promise.all(engines.map((e) => e.stop()));
  });
});
