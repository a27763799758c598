import { describe, expect, it } from 'vitest';
import { expectCode } from '@dissonance/core/testing';
import { OnnxWebRuntime, type OrtWebModule, type WebGpuProbe } from '../src/index.js';

/** A fake onnxruntime-web: sessions compute `outputs(x)` for a model of `width` inputs and `classes` outputs. */
function fakeOrt(
  options: {
    width?: number;
    classes?: number;
    failWebGpu?: string;
    failWebGpuRun?: string;
    logits?: boolean;
    /** The declared input shape (default `['N', width]`) and element type (default float32). */
    inputShape?: (number | string)[];
    inputType?: string;
  } = {},
) {
  const width = options.width ?? 3;
  /** The dims of every tensor fed, in order. */
  const fed: number[][] = [];
  const classes = options.classes ?? 2;
  const created: string[] = [];
  const released: string[] = [];
  const env = { wasm: {} as Record<string, unknown> };
  class Tensor {
    constructor(
      readonly type: string,
      readonly data: Float32Array,
      readonly dims: readonly number[],
    ) {}
  }
  const InferenceSession = {
    async create(_bytes: Uint8Array, opts: { executionProviders: string[] }) {
      const provider = opts.executionProviders[0]!;
      if (provider === 'webgpu' && options.failWebGpu !== undefined) throw new Error(options.failWebGpu);
      created.push(provider);
      return {
        inputNames: ['features'],
        outputNames: ['scores'],
        inputMetadata: [
          {
            name: 'features',
            isTensor: true,
            type: options.inputType ?? 'float32',
            shape: options.inputShape ?? ['N', width],
          },
        ],
        outputMetadata: [{ name: 'scores', isTensor: true, type: 'float32', shape: ['N', classes] }],
        async run(feeds: Record<string, Tensor>) {
          if (provider === 'webgpu' && options.failWebGpuRun !== undefined) throw new Error(options.failWebGpuRun);
          const x = feeds.features!;
          fed.push([...x.dims]);
          const rows = x.dims[0]!;
          const out = new Float32Array(rows * classes);
          for (let r = 0; r < rows; r++) {
            const s = x.data[r * width] ?? 0;
            if (options.logits === true) {
              out[r * classes] = s;
              out[r * classes + 1] = -s;
            } else {
              out[r * classes] = 0.25;
              out[r * classes + 1] = 0.75;
            }
          }
          return { scores: { type: 'float32', data: out } };
        },
        async release() {
          released.push(provider);
        },
      };
    },
  };
  return { ort: { env, Tensor, InferenceSession } as unknown as OrtWebModule, created, released, env, fed };
}

const noGpu = async (): Promise<WebGpuProbe> => ({
  available: false,
  reason: 'navigator.gpu is absent (test)',
  software: false,
});
const swiftShader = async (): Promise<WebGpuProbe> => ({
  available: true,
  reason: 'adapter google swiftshader (software)',
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
  software: true,
});

describe('OnnxWebRuntime (fake onnxruntime-web)', () => {
  it('auto without an adapter: wasm, saying why; wasmPaths and numThreads go to ort.env', async () => {
    const fake = fakeOrt();
    const runtime = new OnnxWebRuntime({ ort: fake.ort, probeWebGpu: noGpu, wasmPaths: '/ort/', numThreads: 2 });
    expect(runtime.name).toBe('onnxruntime-web/auto');
    const model = await runtime.loadBytes(new Uint8Array([1]), { name: 'm', version: '3' });
    expect([runtime.chosenProvider, runtime.providerReason, runtime.name]).toEqual([
      'wasm',
      'wasm: navigator.gpu is absent (test)',
      'onnxruntime-web/wasm',
    ]);
    expect(fake.env.wasm).toEqual({ wasmPaths: '/ort/', numThreads: 2 });
    expect([model.name, model.version, model.inputWidth, model.classes, model.outputKind, model.provider]).toEqual([
      'm',
      '3',
      3,
      2,
      'probabilities',
      'wasm',
    ]);
    expect([...(await model.run(new Float32Array([1, 2, 3]), 1))]).toEqual([0.25, 0.75]);
  });

  it('auto with an adapter: WebGPU; a WebGPU session that cannot be created falls back to wasm for good', async () => {
    const gpu = fakeOrt();
    const onGpu = await new OnnxWebRuntime({ ort: gpu.ort, probeWebGpu: swiftShader }).loadBytes(new Uint8Array([1]));
    expect([onGpu.provider, onGpu.providerReason]).toEqual(['webgpu', 'webgpu: adapter google swiftshader (software)']);

    const failing = fakeOrt({ failWebGpu: 'no shader-f16' });
    const runtime = new OnnxWebRuntime({ ort: failing.ort, probeWebGpu: swiftShader });
    const model = await runtime.loadBytes(new Uint8Array([1]));
    expect([model.provider, runtime.chosenProvider, runtime.providerReason]).toEqual([
      'wasm',
      'wasm',
      'wasm: WebGPU session could not be created: no shader-f16',
    ]);
  });

  it('auto: a model that opens on WebGPU but fails there runs on wasm; the next model still tries WebGPU', async () => {
    const fake = fakeOrt({ failWebGpuRun: 'ArrayFeatureExtractor: index out of range' });
    const runtime = new OnnxWebRuntime({ ort: fake.ort, probeWebGpu: swiftShader });
    const model = await runtime.loadBytes(new Uint8Array([1]));
    expect(model.provider).toBe('wasm');
    expect(model.providerReason).toBe(
      'wasm: the model failed on WebGPU: E_MODEL: onnx-model@0: probe run failed: ArrayFeatureExtractor: index out of range',
    );
    expect(runtime.chosenProvider).toBe('webgpu');
    expect(fake.created).toEqual(['webgpu', 'wasm']);
    expect(fake.released).toEqual(['webgpu']);
    const forced = new OnnxWebRuntime({ ort: fake.ort, probeWebGpu: swiftShader, executionProvider: 'webgpu' });
    await expectCode(forced.loadBytes(new Uint8Array([1])), 'E_MODEL');
  });

  it("executionProvider 'webgpu' without an adapter → E_ACCELERATOR_UNAVAILABLE quoting the browser", async () => {
    const runtime = new OnnxWebRuntime({ ort: fakeOrt().ort, probeWebGpu: noGpu, executionProvider: 'webgpu' });
    const error = await expectCode(runtime.loadBytes(new Uint8Array([1])), 'E_ACCELERATOR_UNAVAILABLE');
    expect(error.message).toContain('navigator.gpu is absent (test)');
  });

  it('feeds an [N, C, H, W] input from row-major rows by its declared shape (probe, benchmark, runs)', async () => {
    // onnxruntime-web reports the dynamic batch axis as 4294967295 (-1 read as uint32).
    const fake = fakeOrt({ width: 4, inputShape: [4294967295, 1, 2, 2] });
    const runtime = new OnnxWebRuntime({
      ort: fake.ort,
      probeWebGpu: swiftShader,
      select: 'benchmark',
      benchmarkRows: 3,
    });
    const model = await runtime.loadBytes(new Uint8Array([1]));
    expect([model.inputWidth, model.inputShape]).toEqual([4, [1, 2, 2]]);
    fake.fed.length = 0;
    expect([...(await model.run(new Float32Array(8), 2))]).toEqual([0.25, 0.75, 0.25, 0.75]);
    expect(fake.fed).toEqual([[2, 1, 2, 2]]);
    const timed = fakeOrt({ width: 4, inputShape: ['batch', 1, 2, 2] });
    await new OnnxWebRuntime({
      ort: timed.ort,
      probeWebGpu: swiftShader,
      select: 'benchmark',
      benchmarkRows: 3,
    }).loadBytes(new Uint8Array([1]));
    expect(timed.fed).toContainEqual([3, 1, 2, 2]);
    expect(timed.fed.every((dims) => dims.length === 4)).toBe(true);
  });

  it('refuses inputs rows cannot feed at load, with E_MODEL naming the input: int64, a fixed batch', async () => {
    const tokens = new OnnxWebRuntime({ ort: fakeOrt({ inputType: 'int64' }).ort, probeWebGpu: noGpu });
    const error = await expectCode(tokens.loadBytes(new Uint8Array([1])), 'E_MODEL');
    expect(error.message).toMatch(/input "features" is int64 \[N, 3\]: rows are float32 and are never cast/);
    const fixed = new OnnxWebRuntime({ ort: fakeOrt({ inputShape: [1, 3] }).ort, probeWebGpu: noGpu });
    expect((await expectCode(fixed.loadBytes(new Uint8Array([1])), 'E_MODEL')).message).toMatch(
      /input "features" is float32 \[1, 3\]: its batch size is fixed at 1/,
    );
  });

  it('applies a softmax to logits found by the load-time probe', async () => {
    const model = await new OnnxWebRuntime({ ort: fakeOrt({ logits: true }).ort, probeWebGpu: noGpu }).loadBytes(
      new Uint8Array([1]),
    );
    expect(model.outputKind).toBe('logits');
    const p = await model.run(new Float32Array([Math.log(3) / 2, 0, 0]), 1);
    expect(p[0]).toBeCloseTo(0.75, 6);
    expect(p[1]).toBeCloseTo(0.25, 6);
  });

  it('checks options and inputs with typed errors, and refuses runs after dispose', async () => {
    expect(() => new OnnxWebRuntime({ executionProvider: 'cuda' as 'wasm' })).toThrow(/E_CONFIG/);
    expect(() => new OnnxWebRuntime({ select: 'fastest' as 'first' })).toThrow(/E_CONFIG/);
    expect(() => new OnnxWebRuntime({ benchmarkRuns: 0 })).toThrow(/E_CONFIG/);
    const fake = fakeOrt();
    const runtime = new OnnxWebRuntime({ ort: fake.ort, probeWebGpu: noGpu });
    await expectCode(
      runtime.load(
        { format: 'json', bytes: new Uint8Array(0) },
        { name: 'm', version: '1', inputWidth: 3, classes: 2 },
      ),
      'E_MODEL',
    );
    await expectCode(runtime.loadBytes(new Uint8Array([1]), { inputWidth: 4 }), 'E_MODEL');
    expect(fake.released).toEqual(['wasm']); // the session of the refused model was released
    const model = await runtime.loadBytes(new Uint8Array([1]));
    await expectCode(model.run(new Float32Array(4), 1), 'E_INPUT');
    await expectCode(model.run(new Float32Array(3), 1.5), 'E_INPUT');
    expect((await model.run(new Float32Array(0), 0)).length).toBe(0);
    await model.dispose();
    await model.dispose();
    expect(fake.released).toEqual(['wasm', 'wasm']);
    await expectCode(model.run(new Float32Array(3), 1), 'E_MODEL');
  });
});
