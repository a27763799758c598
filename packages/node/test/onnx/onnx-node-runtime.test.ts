import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OnnxNodeRuntime } from '../../src/onnx/index.js';
import {
  mlpForward,
  randomMlp,
  randomRows,
  tempDir,
  writeLogitsMlp,
  writeOnnxMlp,
  writeSymbolicMlp,
} from './fixtures.js';
import { rejectionOf as rejection } from '@dissonance/core/testing';

const weights = randomMlp([6, 8, 3], 7);
const bytes = writeOnnxMlp(weights);
const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1 });

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('OnnxNodeRuntime', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('is a ModelRuntime for onnx named after its provider', () => {
    expect(runtime.name).toBe('onnxruntime-node/cpu');
    expect(runtime.chosenProvider).toBe('cpu');
    expect(runtime.providerReason).toBe('cpu: requested');
    expect(runtime.supports('onnx')).toBe(true);
    expect(runtime.supports('json')).toBe(false);
  });

  it('loads bytes, discovering names, width and classes from the session', async () => {
    const model = await runtime.loadBytes(bytes);
    expect(model).toMatchObject({
      name: 'onnx-model',
      version: '0',
      inputWidth: 6,
      classes: 3,
      inputName: 'features',
      outputName: 'probabilities',
      outputKind: 'probabilities',
      provider: 'cpu',
    });
    expect(model.artifact).toEqual({ format: 'onnx', bytes });
    const x = randomRows(5, 6, 1);
    expect(maxAbsDiff(await model.run(x, 5), mlpForward(weights, x, 5))).toBeLessThan(1e-5);
    await model.dispose();
  });

  it('loads a file, naming the model after it', async () => {
    const path = join(dir, 'digits-critic.onnx');
    await writeFile(path, bytes);
    const model = await runtime.loadFile(path, { version: '3' });
    expect(model).toMatchObject({ name: 'digits-critic', version: '3', inputWidth: 6, classes: 3 });
    expect(model.artifact?.bytes).toEqual(bytes);
    await model.dispose();
  });

  it('load(artifact, info) checks the info against the model', async () => {
    const info = { name: 'p', version: '2', inputWidth: 6, classes: 3 };
    const model = await runtime.load({ format: 'onnx', bytes }, info);
    expect(model).toMatchObject(info);
    await model.dispose();
    const wrongWidth = await rejection(runtime.load({ format: 'onnx', bytes }, { ...info, inputWidth: 5 }));
    expect(wrongWidth.code).toBe('E_MODEL');
    expect(wrongWidth.message).toMatch(/input width is 6, expected 5/);
    const wrongClasses = await rejection(runtime.load({ format: 'onnx', bytes }, { ...info, classes: 4 }));
    expect(wrongClasses.message).toMatch(/class count is 3, expected 4/);
    expect((await rejection(runtime.load({ format: 'json', bytes }, info))).code).toBe('E_MODEL');
  });

  it('applies a softmax to a model that emits logits (detected by a probe, or forced)', async () => {
    const logitsBytes = writeLogitsMlp(weights);
    const x = randomRows(50, 6, 2);
    const want = mlpForward(weights, x, 50);
    const auto = await runtime.loadBytes(logitsBytes);
    expect(auto.outputName).toBe('logits');
    expect(auto.outputKind).toBe('logits');
    const got = await auto.run(x, 50);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    await auto.dispose();

    const raw = await new OnnxNodeRuntime({ executionProvider: 'cpu', outputs: 'probabilities' }).loadBytes(
      logitsBytes,
    );
    expect(raw.outputKind).toBe('probabilities');
    expect(maxAbsDiff(await raw.run(x, 50), want)).toBeGreaterThan(0.01);
    await raw.dispose();
  });

  it('a symbolic width needs info; a symbolic class count is observed by the probe', async () => {
    const symbolic = writeSymbolicMlp(weights);
    const error = await rejection(runtime.loadBytes(symbolic));
    expect(error.code).toBe('E_MODEL');
    expect(error.message).toMatch(/does not declare its input width; pass inputWidth/);
    const model = await runtime.loadBytes(symbolic, { inputWidth: 6 });
    expect(model).toMatchObject({ inputWidth: 6, classes: 3, outputKind: 'probabilities' });
    const x = randomRows(4, 6, 9);
    expect(maxAbsDiff(await model.run(x, 4), mlpForward(weights, x, 4))).toBeLessThan(1e-5);
    await model.dispose();
    const wrong = await rejection(runtime.loadBytes(symbolic, { inputWidth: 6, classes: 4 }));
    expect(wrong.message).toMatch(/class count is 3, expected 4/);
  });

  it('outputName overrides the choice and must exist', async () => {
    const named = await new OnnxNodeRuntime({ executionProvider: 'cpu', outputName: 'probabilities' }).loadBytes(bytes);
    expect(named.outputName).toBe('probabilities');
    await named.dispose();
    const error = await rejection(
      new OnnxNodeRuntime({ executionProvider: 'cpu', outputName: 'scores' }).loadBytes(bytes),
    );
    expect(error.code).toBe('E_MODEL');
    expect(error.message).toMatch(/no output named "scores" \(outputs: probabilities\)/);
  });

  it('a corrupt or missing model file is E_MODEL, not a crash', async () => {
    const corrupt = join(dir, 'corrupt.onnx');
    await writeFile(corrupt, bytes.subarray(0, 40));
    const error = await rejection(runtime.loadFile(corrupt));
    expect(error.code).toBe('E_MODEL');
    expect(error.message).toMatch(/corrupt@0: not a usable ONNX model/);
    const garbage = await rejection(runtime.loadBytes(new TextEncoder().encode('definitely not protobuf')));
    expect(garbage.code).toBe('E_MODEL');
    const missing = await rejection(runtime.loadFile(join(dir, 'nope.onnx')));
    expect(missing.code).toBe('E_MODEL');
    expect(missing.message).toMatch(/cannot read model file .*nope\.onnx/);
  });

  it('wrong input width is E_INPUT; the model keeps working', async () => {
    const model = await runtime.loadBytes(bytes);
    const error = await rejection(model.run(new Float32Array(10), 2));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toMatch(/x has 10 values, expected 2 rows × 6 = 12/);
    expect((await rejection(model.run(new Float32Array(6), -1))).code).toBe('E_INPUT');
    expect(await model.run(new Float32Array(0), 0)).toHaveLength(0);
    expect(await model.run(new Float32Array(6), 1)).toHaveLength(3);
    await model.dispose();
  });

  it('reads x through a subarray view and runs concurrent calls', async () => {
    const model = await runtime.loadBytes(bytes);
    const all = randomRows(40, 6, 3);
    const parts = [0, 1, 2, 3].map((i) => all.subarray(i * 60, (i + 1) * 60));
    const outs = await Promise.all(parts.map((x) => model.run(x, 10)));
    const want = mlpForward(weights, all, 40);
    outs.forEach((out, i) => expect(maxAbsDiff(out, want.subarray(i * 30, (i + 1) * 30))).toBeLessThan(1e-5));
    await model.dispose();
  });

  it('dispose waits for runs in flight, is safe twice, and later runs are E_MODEL', async () => {
    const model = await runtime.loadBytes(bytes);
    const pending = model.run(randomRows(3, 6, 4), 3);
    const disposed = model.dispose();
    expect(await pending).toHaveLength(9);
    await disposed;
    await model.dispose();
    const error = await rejection(model.run(new Float32Array(6), 1));
    expect(error.code).toBe('E_MODEL');
    expect(error.message).toMatch(/disposed/);
  });

  it("turns onnxruntime's spinning worker threads off unless allowSpinning is set", async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    try {
      const spinningOf = async (options: ConstructorParameters<typeof OnnxNodeRuntime>[0]): Promise<unknown> => {
        create.mockClear();
        const model = await new OnnxNodeRuntime({ executionProvider: 'cpu', ...options }).loadBytes(bytes);
        // The session still runs with the setting (onnxruntime accepts the config entry).
        expect(await model.run(randomRows(2, 6, 5), 2)).toHaveLength(6);
        await model.dispose();
        const options_ = create.mock.calls.map((call) => call[1] as ort.InferenceSession.SessionOptions | undefined);
        expect(options_.length).toBeGreaterThan(0);
        const values = options_.map(
          (o) =>
            (o?.extra as { session?: { intra_op?: { allow_spinning?: string } } })?.session?.intra_op?.allow_spinning,
        );
        expect(new Set(values).size).toBe(1);
        return values[0];
      };
      expect(await spinningOf({})).toBe('0');
      expect(await spinningOf({ allowSpinning: false })).toBe('0');
      expect(await spinningOf({ allowSpinning: true })).toBe('1');
    } finally {
      create.mockRestore();
    }
  });

  it('rejects bad options with E_CONFIG', () => {
    expect(() => new OnnxNodeRuntime({ allowSpinning: 'yes' as unknown as boolean })).toThrow(
      /E_CONFIG.*allowSpinning/,
    );
    expect(() => new OnnxNodeRuntime({ intraOpNumThreads: -1 })).toThrow(/E_CONFIG.*intraOpNumThreads/);
    expect(() => new OnnxNodeRuntime({ executionProvider: 'tpu' as 'cpu' })).toThrow(/E_CONFIG.*executionProvider/);
    expect(() => new OnnxNodeRuntime({ outputs: 'maybe' as 'auto' })).toThrow(/E_CONFIG.*outputs/);
  });
});
