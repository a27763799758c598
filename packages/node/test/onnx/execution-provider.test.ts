import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DissonanceError } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUDA_PROVIDER_LIBRARY,
  OnnxNodeRuntime,
  ortBindingDir,
  probeCuda,
  type CudaProbe,
} from '../../src/onnx/index.js';
import { randomMlp, tempDir, writeOnnxMlp } from './fixtures.js';

const bytes = writeOnnxMlp(randomMlp([4, 3], 1));
const bindingDir = ortBindingDir();
/** This machine has no CUDA provider library next to the binding (the project denies its install script in package.json's allowScripts). */
const cudaInstalled = probeCuda().available;

/** A probe that claims CUDA is there, so the runtime tries a CUDA session (which fails on this machine). */
const fakeAvailable = (): CudaProbe => ({ available: true, reason: 'pretend', missing: [], bindingDir });

describe('execution providers', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('finds the onnxruntime-node binding folder', () => {
    expect(bindingDir).toMatch(/onnxruntime-node[/\\]bin[/\\]napi-v\d+[/\\]/);
  });

  it.skipIf(cudaInstalled)('auto falls back to the CPU and says why', async () => {
    const runtime = new OnnxNodeRuntime();
    expect(runtime.chosenProvider).toBe('cpu');
    expect(runtime.name).toBe('onnxruntime-node/cpu');
    expect(runtime.providerReason).toMatch(/^cpu: libonnxruntime_providers_cuda\.so .*not found in .*onnxruntime-node/);
    const model = await runtime.loadBytes(bytes);
    expect(model.provider).toBe('cpu');
    await model.dispose();
  });

  it.skipIf(cudaInstalled)('explicit cuda is E_ACCELERATOR_UNAVAILABLE naming the missing file', () => {
    let error: unknown;
    try {
      new OnnxNodeRuntime({ executionProvider: 'cuda' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DissonanceError);
    const e = error as DissonanceError;
    expect(e.code).toBe('E_ACCELERATOR_UNAVAILABLE');
    expect(e.message).toContain(CUDA_PROVIDER_LIBRARY);
    expect(e.details.missing).toContain(CUDA_PROVIDER_LIBRARY);
  });

  it('probeCuda reports other platforms and a missing binding without throwing', () => {
    expect(probeCuda({ platform: 'darwin', arch: 'arm64' })).toMatchObject({
      available: false,
      reason: /only for linux\/x64/,
    });
    expect(probeCuda({ bindingDir: join('/nonexistent', 'bin') })).toMatchObject({
      available: false,
      missing: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
    });
  });

  it('probeCuda reports a provider library the loader cannot use', async () => {
    const fake = join(dir, 'binding');
    await mkdir(fake);
    await writeFile(join(fake, 'libonnxruntime_providers_cuda.so'), 'not an ELF file');
    await writeFile(join(fake, 'libonnxruntime_providers_shared.so'), 'not an ELF file');
    const probe = probeCuda({ bindingDir: fake });
    expect(probe.available).toBe(false);
    expect(probe.reason).toMatch(/libonnxruntime_providers_cuda\.so needs libonnxruntime_providers_cuda\.so \(ldd: /);
  });

  it('auto falls back to the CPU when a CUDA session cannot be created', async () => {
    const runtime = new OnnxNodeRuntime({ probeCuda: fakeAvailable });
    expect(runtime.chosenProvider).toBe('cuda');
    const model = await runtime.loadBytes(bytes);
    expect(model.provider).toBe('cpu');
    expect(runtime.chosenProvider).toBe('cpu');
    expect(runtime.providerReason).toMatch(/^cpu: CUDA session could not be created: /);
    expect(await model.run(new Float32Array(4), 1)).toHaveLength(3);
    await model.dispose();
  });

  it('explicit cuda whose session fails is E_ACCELERATOR_UNAVAILABLE; a corrupt model is still E_MODEL', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cuda', probeCuda: fakeAvailable });
    const error = await runtime.loadBytes(bytes).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_ACCELERATOR_UNAVAILABLE', message: /CUDA session could not be created/ });
    const corrupt = await runtime.loadBytes(bytes.subarray(0, 30)).catch((e: unknown) => e);
    expect(corrupt).toMatchObject({ code: 'E_MODEL' });
  });
});
