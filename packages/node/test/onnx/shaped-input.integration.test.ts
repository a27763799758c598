import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, totalVariation } from '@dissonance/core';
import { argmaxRow } from '@dissonance/core/adapter-kit';
import { OnnxNodeRuntime } from '@dissonance/node';
import { mlpForward, randomMlp, writeOnnxMlp } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

interface Manifest {
  fixtures: Record<string, { input: string | string[]; shape: unknown; type: unknown; served: boolean }>;
  cnn: { inputs: number[][]; probabilities: number[][]; labels: number[]; accuracy: number };
}

describe('ONNX inputs beyond [N, width] in onnxruntime-node (scripts/python/onnx_shape_fixtures.py)', () => {
  let dir = '';
  let manifest: Manifest;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-shapes-'));
    const python =
      execFileSync('bash', ['scripts/python-env.sh'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
    execFileSync(python, ['scripts/python/onnx_shape_fixtures.py', dir], { cwd: ROOT, stdio: 'ignore' });
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a CNN on [N, 1, 8, 8] from row-major rows: probabilities equal Python onnxruntime within 1e-5', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const cnn = await runtime.loadFile(join(dir, 'torch_cnn_digits.onnx'));
    expect(manifest.fixtures.torch_cnn_digits?.shape).toEqual(['N', 1, 8, 8]);
    expect(cnn).toMatchObject({ inputName: 'image', inputWidth: 64, classes: 10, outputKind: 'logits' });
    expect(cnn.inputShape).toEqual([1, 8, 8]);
    const { inputs, probabilities, labels } = manifest.cnn;
    const rows = inputs.length;
    const x = Float32Array.from(inputs.flat());
    const got = await cnn.run(x, rows);
    const want = probabilities.flat();
    expect(got).toHaveLength(want.length);
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
    // A trained digits CNN, not noise: its argmax agrees with the labels on most rows.
    const right = labels.filter((label, r) => argmaxRow(got, r * 10, 10) === label).length;
    expect(right / rows).toBeGreaterThan(0.85);
    // One row at a time and a subarray view give the same rows.
    const third = await cnn.run(x.subarray(2 * 64, 3 * 64), 1);
    expect(Array.from(third)).toEqual(Array.from(got.subarray(20, 30)));
    // The width is the product of the declared dims: a matrix-width mismatch is E_INPUT, a wrong info E_MODEL.
    await expect(cnn.run(x.subarray(0, 63), 1)).rejects.toMatchObject({ code: 'E_INPUT' });
    await expect(
      runtime.loadFile(join(dir, 'torch_cnn_digits.onnx'), { inputWidth: 8, classes: 10 }),
    ).rejects.toMatchObject({ code: 'E_MODEL', message: /input width is 64, expected 8/ });
    await cnn.dispose();
  });

  it('the engine processes a batch with the CNN as proposer beside an MLP critic', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const proposer = await runtime.loadFile(join(dir, 'torch_cnn_digits.onnx'), { name: 'cnn', version: '0' });
    const weights = randomMlp([64, 16, 10], 5);
    const critic = await runtime.loadBytes(writeOnnxMlp(weights), { name: 'critic', version: '0' });
    const engine = createEngine({ proposer, critics: [critic], runtime });
    const { inputs, probabilities } = manifest.cnn;
    const rows = inputs.length;
    const x = Float32Array.from(inputs.flat());
    const result = await engine.process({ x, rows });
    const want = Float32Array.from(probabilities.flat());
    for (let i = 0; i < want.length; i++) expect(Math.abs(result.probabilities[i]! - want[i]!)).toBeLessThan(1e-5);
    const wantD = totalVariation.measure(want, mlpForward(weights, x, rows), rows, 10);
    for (let r = 0; r < rows; r++) expect(Math.abs(result.dissonance[r]! - wantD[r]!)).toBeLessThan(1e-4);
    await engine.stop();
    await Promise.all([proposer.dispose(), critic.dispose()]);
  });

  it('refuses at load, with E_MODEL naming the input: int64 token ids, two inputs, a fixed batch', async () => {
    const cases: Array<[string, RegExp]> = [
      ['torch_int64_tokens', /input "token_ids" is int64 \[N, 6\]: rows are float32 and are never cast/],
      ['torch_two_inputs', /the model has 2 inputs \("a" float32 \[N, 4\], "b" float32 \[N, 4\]\)/],
      ['torch_cnn_fixed_batch', /input "image" is float32 \[2, 1, 8, 8\]: its batch size is fixed at 2/],
    ];
    for (const executionProvider of ['cpu', 'auto'] as const) {
      const runtime = new OnnxNodeRuntime({ executionProvider });
      for (const [name, message] of cases) {
        expect(manifest.fixtures[name]?.served).toBe(false);
        await expect(runtime.loadFile(join(dir, `${name}.onnx`))).rejects.toMatchObject({
          code: 'E_MODEL',
          message: expect.stringMatching(message) as unknown,
        });
      }
    }
  });
});
