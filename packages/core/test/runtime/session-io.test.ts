import { describe, expect, it } from 'vitest';
import {
  chooseInput,
  inputDims,
  resolveSessionIo,
  type OnnxSessionInfo,
  type OnnxValueInfo,
} from '../../src/runtime/index.js';
import { isDissonanceError } from '../../src/errors.js';

function session(inputs: OnnxValueInfo[], classes: number | string = 10): OnnxSessionInfo {
  return {
    inputNames: inputs.map((m) => m.name),
    outputNames: ['logits'],
    inputMetadata: inputs,
    outputMetadata: [{ name: 'logits', isTensor: true, type: 'float32', shape: ['N', classes] }],
  };
}

const tensor = (name: string, type: string, shape: (number | string)[]): OnnxValueInfo => ({
  name,
  isTensor: true,
  type,
  shape,
});

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isDissonanceError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('chooseInput: what rows can feed', () => {
  it('reads [N, width], [N, C, H, W] and an undeclared shape', () => {
    expect(chooseInput(session([tensor('x', 'float32', ['N', 64])]), 'm@1')).toEqual({
      name: 'x',
      width: 64,
      shape: [64],
    });
    expect(chooseInput(session([tensor('x', 'float32', ['', 64])]), 'm@1').width).toBe(64);
    expect(chooseInput(session([tensor('x', 'float32', [-1, 64])]), 'm@1').width).toBe(64);
    // onnxruntime-web reports an unknown dim as 4294967295 (-1 read as uint32).
    expect(chooseInput(session([tensor('x', 'float32', [4294967295, 1, 8, 8])]), 'm@1').shape).toEqual([1, 8, 8]);
    expect(chooseInput(session([tensor('x', 'float32', [4294967295, 4294967295])]), 'm@1').width).toBeUndefined();
    expect(chooseInput(session([tensor('x', 'float32', ['N', 'D'])]), 'm@1')).toEqual({
      name: 'x',
      width: undefined,
      shape: undefined,
    });
    expect(chooseInput(session([tensor('image', 'float32', ['N', 1, 8, 8])]), 'm@1')).toEqual({
      name: 'image',
      width: 64,
      shape: [1, 8, 8],
    });
    expect(chooseInput(session([tensor('x', 'float32', [])]), 'm@1').shape).toBeUndefined();
  });

  it('refuses, naming the input and why: int64, several inputs, fixed batch, symbolic inner dims, rank 1', () => {
    const cases: Array<[OnnxValueInfo[], RegExp]> = [
      [[tensor('token_ids', 'int64', ['N', 6])], /input "token_ids" is int64 \[N, 6\]: .*never cast/],
      [
        [tensor('a', 'float32', ['N', 4]), tensor('b', 'float32', ['N', 4])],
        /2 inputs \("a" float32 \[N, 4\], "b" float32 \[N, 4\]\)/,
      ],
      [[tensor('image', 'float32', [2, 1, 8, 8])], /input "image" .*batch size is fixed at 2/],
      [[tensor('x', 'float32', [1, 64])], /input "x" .*batch size is fixed at 1/],
      [[tensor('image', 'float32', ['N', 1, 'H', 'W'])], /input "image" .*axis 2 is "H"/],
      [[tensor('image', 'float32', [4294967295, 1, 4294967295, 8])], /input "image" .*axis 2 is unknown/],
      [[tensor('x', 'float32', [64])], /input "x" .*no batch axis/],
      [[{ name: 'seq', isTensor: false }], /input "seq" is not a tensor/],
    ];
    for (const [inputs, message] of cases) {
      const error = refusal(() => chooseInput(session(inputs), 'm@1'));
      expect(error.code).toBe('E_MODEL');
      expect(error.message).toMatch(/^E_MODEL: m@1: /);
      expect(error.message).toMatch(message);
    }
  });
});

describe('resolveSessionIo with an [N, C, H, W] input', () => {
  it('probes with [rows, C, H, W] dims and resolves the width as their product', async () => {
    const seen: Array<{ rows: number; dims: readonly number[]; length: number }> = [];
    const io = await resolveSessionIo(
      session([tensor('image', 'float32', ['N', 1, 8, 8])]),
      { name: 'cnn', version: '1' },
      async (x, rows, _input, _output, dims) => {
        seen.push({ rows, dims, length: x.length });
        return new Float32Array(rows * 10).fill(0.1);
      },
    );
    expect(io).toMatchObject({ inputName: 'image', inputWidth: 64, inputShape: [1, 8, 8], classes: 10 });
    expect(io.outputKind).toBe('probabilities');
    expect(seen).toEqual([{ rows: 4, dims: [4, 1, 8, 8], length: 256 }]);
    expect(inputDims(3, io.inputShape)).toEqual([3, 1, 8, 8]);
  });

  it('a declared shape must agree with the width the caller expects', async () => {
    const resolve = resolveSessionIo(
      session([tensor('image', 'float32', ['N', 1, 8, 8])]),
      { name: 'cnn', version: '1', inputWidth: 63, classes: 10, outputs: 'logits' },
      () => Promise.reject(new Error('no probe')),
    );
    await expect(resolve).rejects.toMatchObject({ code: 'E_MODEL', message: /input width is 64, expected 63/ });
  });

  it('a symbolic [N, D] width comes from the caller, fed as [rows, D]', async () => {
    const io = await resolveSessionIo(
      session([tensor('x', 'float32', ['N', 'D'])], 2),
      { name: 'mlp', version: '1', inputWidth: 5, outputs: 'logits' },
      () => Promise.reject(new Error('no probe')),
    );
    expect(io).toMatchObject({ inputWidth: 5, inputShape: [5], classes: 2 });
  });
});
