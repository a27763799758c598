import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD } from '../../src/onnx/index.js';

/**
 * onnxruntime-node's WebGPU provider (Dawn → Vulkan) on Debian Chromium's SwiftShader, a CPU Vulkan driver: no
 * GPU needed. Each scenario runs in its own child process (fixtures/webgpu-child.ts) because Dawn keeps a
 * failed start for the life of a process, and because the Vulkan loader reads its variables from the
 * environment: the test sets them itself. Chromium's folder also holds the Vulkan loader (`libvulkan.so.1`),
 * which Debian installs only with libvulkan1; LD_LIBRARY_PATH points there.
 */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('fixtures/webgpu-child.ts', import.meta.url));
const CHROMIUM_LIB = dirname(SWIFTSHADER_ICD);
const haveSwiftShader = existsSync(SWIFTSHADER_ICD) && existsSync(join(CHROMIUM_LIB, 'libvulkan.so.1'));

interface ChildResult {
  readonly code: number | null;
  readonly result: Record<string, unknown> | undefined;
  readonly stderr: string;
}

/** Runs one scenario with `env` added to (or, with undefined values, removed from) this process's environment. */
function runScenario(scenario: string, env: Readonly<Record<string, string | undefined>>): Promise<ChildResult> {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.json'),
    ...env,
  };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CHILD, scenario],
      { cwd: REPO_ROOT, env: childEnv, timeout: 100_000, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({
          code,
          result: line === undefined ? undefined : (JSON.parse(line.slice(7)) as Record<string, unknown>),
          stderr,
        });
      },
    );
  });
}

const libraryPath = (): string =>
  [CHROMIUM_LIB, process.env.LD_LIBRARY_PATH].filter((p) => p !== undefined && p !== '').join(':');
const swiftShader = (): Record<string, string | undefined> => ({
  VK_ICD_FILENAMES: SWIFTSHADER_ICD,
  VK_DRIVER_FILES: undefined,
  LD_LIBRARY_PATH: libraryPath(),
});

/** The result, or a failure that shows what the child printed. */
function resultOf(run: ChildResult): Record<string, unknown> {
  if (run.code !== 0 || run.result === undefined)
    throw new Error(`child exited ${run.code}; stderr:\n${run.stderr.slice(-4000)}`);
  return run.result;
}

describe.skipIf(!haveSwiftShader)('WebGPU execution provider on SwiftShader (Debian Chromium)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dissonance-webgpu-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("executionProvider 'webgpu' runs both models within 1e-6 (small) of the CPU", async () => {
    const result = resultOf(await runScenario('explicit', swiftShader()));
    expect(result.name).toBe('onnxruntime-node/webgpu');
    const small = result.small as {
      provider: string;
      providerReason: string;
      maxAbs: { cpu: number; reference: number };
    };
    const large = result.large as typeof small;
    expect(small.provider).toBe('webgpu');
    expect(small.providerReason).toContain(SWIFTSHADER_ICD);
    // The model shape (64-128-10): within 1e-6 of the CPU; a deeper 128-512-512-100 within 1e-5 (float32
    // sums in another order over 512-wide layers).
    expect(small.maxAbs.cpu).toBeLessThanOrEqual(1e-6);
    expect(large.provider).toBe('webgpu');
    expect(large.maxAbs.cpu).toBeLessThanOrEqual(1e-5);
  });

  it('auto times each provider at expectedBatch, keeps the faster, records the figures and caches by digest', async () => {
    const result = resultOf(await runScenario('autoInjected', swiftShader()));
    const first = result.first as {
      provider: string;
      reason: string;
      calls: string[];
      maxAbs: number;
      benchmark: { rows: number; timings: unknown[] };
    };
    expect(first.provider).toBe('webgpu');
    expect(first.calls.sort()).toEqual(['cpu@256', 'webgpu@256']);
    expect(first.reason).toBe(
      'webgpu: fastest at batch 256 by measurement: webgpu 0.500 ms/run (512,000 items/s), cpu 2.000 ms/run (128,000 items/s)',
    );
    expect(first.benchmark).toEqual({
      rows: 256,
      timings: [
        { provider: 'webgpu', msPerRun: 0.5, itemsPerSecond: 512_000 },
        { provider: 'cpu', msPerRun: 2, itemsPerSecond: 128_000 },
      ],
    });
    expect(first.maxAbs).toBeLessThanOrEqual(1e-6);
    const again = result.again as { provider: string; reason: string; callsAfterAgain: number };
    expect(again.provider).toBe('webgpu');
    expect(again.callsAfterAgain).toBe(2);
    expect(again.reason).toMatch(/\(cached for sha256 [0-9a-f]{12}\)$/);
    const other = result.other as { provider: string; reason: string };
    expect(other.provider).toBe('cpu');
    expect(other.reason).toMatch(
      /^cpu: fastest at batch 256 by measurement: cpu 0\.500 ms\/run .*, webgpu 2\.000 ms\/run/,
    );
    expect(result.runtime).toMatchObject({ name: 'onnxruntime-node/cpu', reason: other.reason });
  });

  it('auto with real timings names both figures and the model runs correctly on the winner', async () => {
    const result = resultOf(await runScenario('autoMeasured', swiftShader()));
    expect(['cpu', 'webgpu']).toContain(result.provider);
    expect(result.reason).toMatch(
      /^(cpu|webgpu): fastest at batch 64 by measurement: (cpu|webgpu) [\d.]+ ms\/run \([\d,]+ items\/s\), (cpu|webgpu) [\d.]+ ms\/run/,
    );
    expect((result.benchmark as { timings: unknown[] }).timings).toHaveLength(2);
    expect(result.maxAbs).toBeLessThanOrEqual(1e-6);
  });

  it('auto falls back to the CPU when Dawn gets no adapter; webgpu is then E_ACCELERATOR_UNAVAILABLE in that process', async () => {
    // A driver manifest whose library exists but is no Vulkan driver: the file probe passes, Dawn finds no adapter.
    await writeFile(join(dir, 'not-a-driver.so'), 'not an ELF file');
    const manifest = join(dir, 'fake_icd.json');
    await writeFile(
      manifest,
      JSON.stringify({
        file_format_version: '1.0.0',
        ICD: { library_path: './not-a-driver.so', api_version: '1.0.5' },
      }),
    );
    const run = await runScenario('noAdapter', {
      VK_ICD_FILENAMES: manifest,
      VK_DRIVER_FILES: undefined,
      LD_LIBRARY_PATH: libraryPath(),
    });
    const result = resultOf(run);
    const fallback = result.fallback as { provider: string; reason: string; maxAbs: number };
    expect(fallback.provider).toBe('cpu');
    expect(fallback.reason).toContain(
      `webgpu: no WebGPU adapter: Dawn found no usable Vulkan device through ${manifest}`,
    );
    expect(fallback.maxAbs).toBeLessThanOrEqual(1e-6);
    expect(result.explicit).toMatchObject({
      code: 'E_ACCELERATOR_UNAVAILABLE',
      message: /no WebGPU adapter.*earlier in this process; Dawn does not retry/,
    });
  });

  it("executionProvider 'webgpu' whose session gets no adapter is E_ACCELERATOR_UNAVAILABLE; a corrupt model stays E_MODEL", async () => {
    const missing = join(dir, 'nothing-here.json');
    const result = resultOf(
      await runScenario('explicitNoAdapter', {
        VK_ICD_FILENAMES: missing,
        VK_DRIVER_FILES: undefined,
        LD_LIBRARY_PATH: libraryPath(),
      }),
    );
    expect(result.error).toMatchObject({
      code: 'E_ACCELERATOR_UNAVAILABLE',
      message: /no WebGPU adapter: .*: no Vulkan driver \(VK_ICD_FILENAMES=/,
    });
    expect(result.corrupt).toMatchObject({ code: 'E_MODEL' });
  });

  it('with no Vulkan driver nothing native is tried: auto uses the CPU, webgpu names the cause', async () => {
    const missing = join(dir, 'absent_icd.json');
    const result = resultOf(
      await runScenario('noDriver', {
        VK_ICD_FILENAMES: missing,
        VK_DRIVER_FILES: undefined,
        LD_LIBRARY_PATH: libraryPath(),
      }),
    );
    expect(result.provider).toBe('cpu');
    expect(result.reason).toContain(
      `webgpu: no Vulkan driver (VK_ICD_FILENAMES=${missing} names no existing ICD manifest)`,
    );
    expect(result.explicit).toMatchObject({
      code: 'E_ACCELERATOR_UNAVAILABLE',
      message: /WebGPU execution provider unavailable: no Vulkan driver/,
    });
  });
});
