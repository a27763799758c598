import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DissonanceError } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseProvider,
  OnnxNodeRuntime,
  probeWebGpu,
  timeRuns,
  TF32_OVERRIDE_VARIABLE,
} from '../../src/onnx/index.js';
import { prepareCudaPrecision, noteCudaStarted } from '../../src/onnx/cuda-exact.js';
import { tempDir } from './fixtures.js';

describe('auto: provider choice by injected timings', () => {
  // The H200 figures, as ms per run at the expected batch (items/s → rows / (items/s) × 1000).
  const msPerRun = (rows: number, itemsPerSecond: number): number => (rows / itemsPerSecond) * 1000;

  it('small model at batch 1: the CPU beats CUDA and WebGPU', () => {
    const choice = chooseProvider(
      [
        { provider: 'cuda', msPerRun: msPerRun(1, 12_600) },
        { provider: 'webgpu', msPerRun: msPerRun(1, 1_000) },
        { provider: 'cpu', msPerRun: msPerRun(1, 86_000) },
      ],
      1,
    );
    expect(choice.provider).toBe('cpu');
    expect(choice.reason).toBe(
      'cpu: fastest at batch 1 by measurement: cpu 0.012 ms/run (86,000 items/s), cuda 0.079 ms/run (12,600 items/s), webgpu 1.000 ms/run (1,000 items/s)',
    );
    expect(choice.benchmark.rows).toBe(1);
    expect(choice.benchmark.timings.map((t) => t.provider)).toEqual(['cpu', 'cuda', 'webgpu']);
  });

  it('small model at batch 8,192 and large model at batch 1,024: CUDA wins', () => {
    const small = chooseProvider(
      [
        { provider: 'cpu', msPerRun: msPerRun(8192, 10.7e6) },
        { provider: 'cuda', msPerRun: msPerRun(8192, 17.7e6) },
        { provider: 'webgpu', msPerRun: msPerRun(8192, 4.8e6) },
      ],
      8192,
    );
    expect(small.provider).toBe('cuda');
    const large = chooseProvider(
      [
        { provider: 'cpu', msPerRun: msPerRun(1024, 22_000) },
        { provider: 'webgpu', msPerRun: msPerRun(1024, 170_000) },
        { provider: 'cuda', msPerRun: msPerRun(1024, 599_000) },
      ],
      1024,
    );
    expect(large.provider).toBe('cuda');
    expect(large.reason).toMatch(
      /^cuda: fastest at batch 1024 by measurement: cuda 1\.710 ms\/run \(599,000 items\/s\), webgpu 6\.024 ms\/run \(170,000 items\/s\), cpu 46\.545 ms\/run \(22,000 items\/s\)$/,
    );
  });

  it('without CUDA, the large model at batch 64 goes to WebGPU; a tie goes to the CPU', () => {
    expect(
      chooseProvider(
        [
          { provider: 'cpu', msPerRun: msPerRun(64, 19_000) },
          { provider: 'webgpu', msPerRun: msPerRun(64, 50_000) },
        ],
        64,
      ).provider,
    ).toBe('webgpu');
    expect(
      chooseProvider(
        [
          { provider: 'webgpu', msPerRun: 1 },
          { provider: 'cpu', msPerRun: 1 },
        ],
        64,
      ).provider,
    ).toBe('cpu');
    expect(() => chooseProvider([], 64)).toThrow(RangeError);
  });

  it('timeRuns takes the median of the timed runs after the warm-ups, within its budget (injected clock)', async () => {
    let t = 0;
    const durations = [100, 100, 3, 1, 2, 50, 4];
    let call = 0;
    const now = (): number => t;
    const run = async (): Promise<void> => {
      t += durations[call++] ?? 1;
    };
    expect(await timeRuns(run, { warmups: 2, runs: 5, budgetMs: 1e9, now })).toBe(3);
    expect(call).toBe(7);
    // A budget of 0 still times one run.
    call = 0;
    t = 0;
    expect(await timeRuns(run, { warmups: 0, runs: 5, budgetMs: 0, now })).toBe(100);
    expect(call).toBe(1);
    // A warm-up slower than the budget ends the warm-ups: a slow provider costs two runs, not seven.
    call = 0;
    t = 0;
    expect(await timeRuns(run, { warmups: 2, runs: 5, budgetMs: 50, now })).toBe(100);
    expect(call).toBe(2);
  });
});

describe('probeWebGpu (files only, injected environment)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('names a missing Vulkan loader and a missing driver', () => {
    const probe = probeWebGpu({
      platform: 'linux',
      env: { LD_LIBRARY_PATH: '' },
      icdDirs: [join(dir, 'none')],
      loaderInCache: false,
    });
    expect(probe.available).toBe(false);
    expect(probe.missing).toEqual(['libvulkan.so.1', 'Vulkan ICD manifest']);
    expect(probe.reason).toMatch(
      /^no Vulkan loader \(libvulkan\.so\.1 .*\); no Vulkan driver \(no ICD manifest in .*none; set VK_ICD_FILENAMES/,
    );
  });

  it('finds a loader in LD_LIBRARY_PATH and a driver manifest in VK_ICD_FILENAMES; names a manifest whose library is missing', async () => {
    const lib = join(dir, 'lib');
    await mkdir(lib, { recursive: true });
    await writeFile(join(lib, 'libvulkan.so.1'), '');
    await writeFile(join(lib, 'libdriver.so'), '');
    const good = join(dir, 'good_icd.json');
    const bad = join(dir, 'bad_icd.json');
    await writeFile(good, JSON.stringify({ ICD: { library_path: './lib/libdriver.so' } }));
    await writeFile(bad, JSON.stringify({ ICD: { library_path: '/nonexistent/libgone.so' } }));
    const ok = probeWebGpu({
      platform: 'linux',
      env: { LD_LIBRARY_PATH: lib, VK_ICD_FILENAMES: `${good}:${bad}` },
      loaderInCache: false,
    });
    expect(ok).toMatchObject({ available: true, icds: [good] });
    const none = probeWebGpu({
      platform: 'linux',
      env: { LD_LIBRARY_PATH: lib, VK_DRIVER_FILES: bad },
      loaderInCache: false,
    });
    expect(none).toMatchObject({ available: false, missing: ['/nonexistent/libgone.so'] });
    expect(none.reason).toMatch(
      /^no Vulkan driver \(the ICD manifests .*bad_icd\.json name libraries that do not exist/,
    );
    // A soname (no slash) is left to the loader.
    const soname = join(dir, 'soname_icd.json');
    await writeFile(soname, JSON.stringify({ ICD: { library_path: 'libvulkan_foo.so' } }));
    expect(probeWebGpu({ platform: 'linux', env: { VK_ICD_FILENAMES: soname }, loaderInCache: true }).available).toBe(
      true,
    );
  });

  it('checks nothing on other platforms', () => {
    expect(probeWebGpu({ platform: 'win32' })).toMatchObject({ available: true, reason: /not checked on win32/ });
  });

  it('auto without CUDA or WebGPU probes files only and adds no benchmark', async () => {
    let timed = 0;
    const runtime = new OnnxNodeRuntime({
      probeWebGpu: () => ({ available: false, reason: 'no Vulkan driver (test)', missing: [], icds: [] }),
      timeProvider: async () => {
        timed++;
        return 1;
      },
    });
    expect(runtime.providerReason).toMatch(/; webgpu: no Vulkan driver \(test\)$/);
    const { writeOnnxMlp, randomMlp } = await import('./fixtures.js');
    const model = await runtime.loadBytes(writeOnnxMlp(randomMlp([4, 3], 1)));
    expect(model.provider).toBe('cpu');
    expect(model.benchmark).toBeUndefined();
    expect(model.providerReason).toBe(runtime.providerReason);
    expect(timed).toBe(0);
    await model.dispose();
  });

  it("explicit 'webgpu' without a driver is E_ACCELERATOR_UNAVAILABLE naming the cause", () => {
    let error: unknown;
    try {
      new OnnxNodeRuntime({
        executionProvider: 'webgpu',
        probeWebGpu: () => ({
          available: false,
          reason: 'no Vulkan driver (test)',
          missing: ['Vulkan ICD manifest'],
          icds: [],
        }),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DissonanceError);
    expect(error).toMatchObject({
      code: 'E_ACCELERATOR_UNAVAILABLE',
      message: /WebGPU execution provider unavailable: no Vulkan driver \(test\)/,
    });
    expect((error as DissonanceError).details.missing).toEqual(['Vulkan ICD manifest']);
  });
});

describe('options', () => {
  it('rejects bad expectedBatch, benchmarkRuns, benchmarkBudgetMs, exact and provider names with E_CONFIG', () => {
    for (const options of [
      { expectedBatch: 0 },
      { expectedBatch: 1.5 },
      { benchmarkRuns: 0 },
      { benchmarkBudgetMs: -1 },
      { exact: 'yes' as unknown as boolean },
      { executionProvider: 'tpu' as unknown as 'cpu' },
    ]) {
      expect(() => new OnnxNodeRuntime(options)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }) as Error);
    }
  });

  it('exact sets NVIDIA_TF32_OVERRIDE=0 before the first CUDA session; too late after a CUDA session with TF32 is E_CONFIG', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(prepareCudaPrecision(false, env)).toBe('TF32 allowed');
    expect(env[TF32_OVERRIDE_VARIABLE]).toBeUndefined();
    expect(prepareCudaPrecision(true, env)).toMatch(/TF32 off/);
    expect(env[TF32_OVERRIDE_VARIABLE]).toBe('0');
    // A process whose first CUDA session ran with TF32: exact can no longer be honoured.
    const late: NodeJS.ProcessEnv = {};
    noteCudaStarted(late);
    expect(() => prepareCudaPrecision(true, late)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }) as Error);
    // Already off from the start: fine.
    expect(prepareCudaPrecision(true, { [TF32_OVERRIDE_VARIABLE]: '0' })).toMatch(/TF32 off/);
  });
});
