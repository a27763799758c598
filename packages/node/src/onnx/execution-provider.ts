import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { ldconfigCache } from './loader-path.js';

/**
 * Which execution provider to ask for: `cpu`, `cuda` (NVIDIA, onnxruntime's CUDA provider libraries), `webgpu`
 * (onnxruntime-node's bundled WebGPU provider: Dawn over Vulkan on Linux), or `auto`: per model, the fastest of
 * the providers present, measured at the expected batch size.
 */
export type ExecutionProviderOption = 'auto' | 'cpu' | 'cuda' | 'webgpu';

/** The execution provider a session actually runs on. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

/** File name of onnxruntime's CUDA execution provider library (loaded from the binding's folder). */
export const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';
/** File name of the bridge library every onnxruntime provider library needs next to it. */
export const SHARED_PROVIDER_LIBRARY = 'libonnxruntime_providers_shared.so';
/** The NVIDIA driver's CUDA library, loaded by the CUDA runtime at start-up. */
export const CUDA_DRIVER_LIBRARY = 'libcuda.so.1';
/** cuDNN, which the CUDA provider opens at run time (it is not a link-time dependency `ldd` would list). */
export const CUDNN_LIBRARY = 'libcudnn.so.9';

/** What {@link probeCuda} found. Never thrown: a missing piece is reported, not raised. */
export interface CudaProbe {
  /** True when every file the CUDA provider needs was found (session creation may still fail: no GPU…). */
  readonly available: boolean;
  /** One line for logs: what is missing, or what was found. */
  readonly reason: string;
  /** Every missing file or library, by name (`libonnxruntime_providers_cuda.so`, `libcudnn.so.9`…). */
  readonly missing: readonly string[];
  /** Folder of onnxruntime-node's native binding, where onnxruntime looks for provider libraries. */
  readonly bindingDir: string | undefined;
}

/** Inputs of {@link probeCuda}; each defaults to this process's. For tests and diagnostics. */
export interface ProbeCudaOptions {
  /** Folder holding `onnxruntime_binding.node` (default: found from the installed onnxruntime-node). */
  readonly bindingDir?: string;
  readonly platform?: string;
  readonly arch?: string;
  /** Environment searched for `LD_LIBRARY_PATH` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Folder of onnxruntime-node's native binding (`…/onnxruntime-node/bin/napi-v6/linux/x64`), or undefined when
 * onnxruntime-node is not installed or ships no binding for this platform.
 */
export function ortBindingDir(platform: string = process.platform, arch: string = process.arch): string | undefined {
  let root: string;
  try {
    root = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  } catch {
    return undefined;
  }
  const bin = join(root, 'bin');
  let versions: string[];
  try {
    versions = readdirSync(bin).filter((name) => name.startsWith('napi-v'));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b.slice(6)) - Number(a.slice(6)));
  for (const version of versions) {
    const dir = join(bin, version, platform, arch);
    if (existsSync(join(dir, 'onnxruntime_binding.node'))) return dir;
  }
  return undefined;
}

/**
 * Checks, without loading anything into this process and without throwing, whether onnxruntime-node can use
 * its CUDA execution provider: linux/x64; `libonnxruntime_providers_cuda.so` and
 * `libonnxruntime_providers_shared.so` next to the binding; every library the CUDA provider links against
 * resolves (`ldd` reports none "not found": libcudart, libcublas, libcublasLt, libcurand, libcuda…, honouring
 * `LD_LIBRARY_PATH`); and the driver's `libcuda.so.1` and cuDNN's `libcudnn.so.9` (opened at run time) are on
 * the loader path (`LD_LIBRARY_PATH` or `ldconfig -p`). A check whose tool (`ldd`, `ldconfig`) is absent is
 * skipped, not failed: session creation is the final test.
 */
export function probeCuda(options: ProbeCudaOptions = {}): CudaProbe {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const env = options.env ?? process.env;
  if (platform !== 'linux' || arch !== 'x64') {
    return unavailable(
      undefined,
      [`linux/x64 (this is ${platform}/${arch})`],
      `onnxruntime-node ships CUDA support only for linux/x64, not ${platform}/${arch}`,
    );
  }
  const bindingDir = options.bindingDir ?? ortBindingDir(platform, arch);
  if (bindingDir === undefined) {
    return unavailable(
      undefined,
      ['onnxruntime_binding.node'],
      'onnxruntime-node (its linux/x64 binding) is not installed',
    );
  }
  const missingFiles = [CUDA_PROVIDER_LIBRARY, SHARED_PROVIDER_LIBRARY].filter(
    (file) => !existsSync(join(bindingDir, file)),
  );
  if (missingFiles.length > 0) {
    return unavailable(bindingDir, missingFiles, `${missingFiles.join(' and ')} not found in ${bindingDir}`);
  }
  const unresolved = unresolvedLibraries(join(bindingDir, CUDA_PROVIDER_LIBRARY), env);
  if (unresolved.length > 0) {
    return unavailable(
      bindingDir,
      unresolved,
      `${CUDA_PROVIDER_LIBRARY} needs ${unresolved.join(', ')}: not found (set LD_LIBRARY_PATH)`,
    );
  }
  const notOnPath = [CUDA_DRIVER_LIBRARY, CUDNN_LIBRARY].filter((library) => !onLoaderPath(library, env));
  if (notOnPath.length > 0) {
    const what = notOnPath.map((library) => (library === CUDA_DRIVER_LIBRARY ? `${library} (NVIDIA driver)` : library));
    return unavailable(bindingDir, notOnPath, `${what.join(' and ')} not found by ldconfig or in LD_LIBRARY_PATH`);
  }
  return {
    available: true,
    reason: `${CUDA_PROVIDER_LIBRARY} and the CUDA libraries it needs were found`,
    missing: [],
    bindingDir,
  };
}

function unavailable(bindingDir: string | undefined, missing: string[], reason: string): CudaProbe {
  return { available: false, reason, missing, bindingDir };
}

/** Libraries `ldd` cannot resolve for `library`; `[library (…)]` when ldd rejects it; `[]` without ldd. */
function unresolvedLibraries(library: string, env: Readonly<Record<string, string | undefined>>): string[] {
  let listing: string;
  try {
    listing = execFileSync('ldd', [library], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    const stderr = (error as { stderr?: unknown }).stderr;
    const detail = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : (error as Error).message;
    return [`${CUDA_PROVIDER_LIBRARY} (ldd: ${detail.split('\n')[0] ?? ''})`];
  }
  const missing: string[] = [];
  for (const line of listing.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+not found/.exec(line);
    if (match?.[1] !== undefined) missing.push(match[1]);
  }
  return missing;
}

/** False when `library` is neither in `LD_LIBRARY_PATH` nor in the ldconfig cache; true when found or unsure. */
function onLoaderPath(library: string, env: Readonly<Record<string, string | undefined>>): boolean {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  if (dirs.some((dir) => existsSync(join(dir, library)))) return true;
  const cache = ldconfigCache();
  return cache === undefined || cache.includes(library);
}
