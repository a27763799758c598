import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { ldconfigCache } from './loader-path.js';

/** The Vulkan loader Dawn (onnxruntime-node's WebGPU provider) opens on Linux. */
export const VULKAN_LOADER_LIBRARY = 'libvulkan.so.1';
/** Debian Chromium's SwiftShader Vulkan driver manifest: a CPU Vulkan device Dawn accepts (for tests, CI). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** What {@link probeWebGpu} found. Never thrown: a missing piece is reported, not raised. */
export interface WebGpuProbe {
  /** True when nothing rules WebGPU out; only creating a session tells whether Dawn gets an adapter. */
  readonly available: boolean;
  /** One line for logs, naming the cause when unavailable (e.g. `no Vulkan driver (…)`). */
  readonly reason: string;
  /** What is missing: `libvulkan.so.1`, `Vulkan ICD manifest`, an ICD's library… */
  readonly missing: readonly string[];
  /** Vulkan driver manifests (ICD JSON files) the loader will read. */
  readonly icds: readonly string[];
}

/** Inputs of {@link probeWebGpu}; each defaults to this process's. For tests and diagnostics. */
export interface ProbeWebGpuOptions {
  readonly platform?: string;
  /** Environment read for `VK_ICD_FILENAMES`, `VK_DRIVER_FILES`, `LD_LIBRARY_PATH`, `XDG_*` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folders searched for ICD manifests when no variable names them (default: the Vulkan loader's). */
  readonly icdDirs?: readonly string[];
  /** Whether `libvulkan.so.1` is in the ldconfig cache (default: `ldconfig -p`; undefined = cannot tell). */
  readonly loaderInCache?: boolean;
}

/** Cause recorded when a WebGPU context failed in this process: Dawn keeps that failure for the process. */
let processFailure: string | undefined;

/**
 * Remembers that onnxruntime's WebGPU context could not be created in this process. Dawn does not retry: once
 * the adapter request failed, every later WebGPU session of the process fails the same way (measured with
 * onnxruntime-node 1.30, even after `VK_ICD_FILENAMES` is corrected), so {@link probeWebGpu} reports it.
 */
export function recordWebGpuFailure(cause: string): void {
  processFailure ??= cause;
}

/**
 * Checks, without loading anything and without throwing, whether onnxruntime-node's WebGPU execution provider
 * (Dawn) can find a device. On Linux Dawn needs the Vulkan loader (`libvulkan.so.1` in `LD_LIBRARY_PATH` or the
 * ldconfig cache; read when the process starts) and at least one Vulkan driver manifest (`VK_ICD_FILENAMES` or
 * `VK_DRIVER_FILES`, else `/etc/vulkan/icd.d`, `/usr/share/vulkan/icd.d`, …) whose library exists. On other
 * platforms (Direct3D 12, Metal) nothing is checked. A WebGPU failure earlier in this process makes it
 * unavailable for good (see {@link recordWebGpuFailure}).
 */
export function probeWebGpu(options: ProbeWebGpuOptions = {}): WebGpuProbe {
  if (processFailure !== undefined) {
    return {
      available: false,
      reason: `${processFailure} (earlier in this process; Dawn does not retry)`,
      missing: [],
      icds: [],
    };
  }
  const platform = options.platform ?? process.platform;
  if (platform !== 'linux') {
    return { available: true, reason: `not checked on ${platform}: creating a session decides`, missing: [], icds: [] };
  }
  const env = options.env ?? process.env;
  const missing: string[] = [];
  const causes: string[] = [];
  if (!loaderFound(env, options.loaderInCache)) {
    missing.push(VULKAN_LOADER_LIBRARY);
    causes.push(
      `no Vulkan loader (${VULKAN_LOADER_LIBRARY} is neither in LD_LIBRARY_PATH nor in the ldconfig cache; install libvulkan1)`,
    );
  }
  const drivers = findIcds(env, options.icdDirs);
  if (drivers.icds.length === 0) {
    missing.push('Vulkan ICD manifest');
    causes.push(`no Vulkan driver (${drivers.searched})`);
  } else if (drivers.usable.length === 0) {
    missing.push(...drivers.missingLibraries);
    causes.push(
      `no Vulkan driver (the ICD manifests ${drivers.icds.join(', ')} name libraries that do not exist: ${drivers.missingLibraries.join(', ')})`,
    );
  }
  if (causes.length > 0) return { available: false, reason: causes.join('; '), missing, icds: drivers.icds };
  return {
    available: true,
    reason: `Vulkan loader and driver manifest ${drivers.usable.join(', ')} found`,
    missing: [],
    icds: drivers.usable,
  };
}

/**
 * The cause of a WebGPU session failure, for `E_ACCELERATOR_UNAVAILABLE`: `no WebGPU adapter` with the
 * drivers tried (and a hint when it is Mesa's lavapipe, which lacks a feature Dawn requires), or `no WebGPU
 * device`, followed by onnxruntime's own message.
 */
export function webGpuFailureCause(message: string, icds: readonly string[]): string {
  const firstLine = message.split('\n').find((line) => line.trim() !== '') ?? message;
  const detail = firstLine.replace(/^.*?(Failed to [^.]*(?:\.|$))/, '$1').trim();
  const drivers = icds.length === 0 ? '' : ` through ${icds.join(', ')}`;
  const lavapipe = icds.some((icd) => /lvp_icd/.test(icd))
    ? "; Mesa's lavapipe lacks a feature Dawn requires, Chromium's SwiftShader ICD works"
    : '';
  if (/adapter/i.test(message))
    return `no WebGPU adapter: Dawn found no usable Vulkan device${drivers} (${detail})${lavapipe}`;
  if (/device/i.test(message))
    return `no WebGPU device: Dawn could not open the Vulkan device${drivers} (${detail})${lavapipe}`;
  return `WebGPU could not start: ${detail}`;
}

/** True when an onnxruntime error is about the WebGPU adapter/device/context rather than the model. */
export function isWebGpuContextError(message: string): boolean {
  return /WebGpuContext|WebGPU adapter|WebGPU device|RequestAdapter|RequestDevice/i.test(message);
}

function loaderFound(env: Readonly<Record<string, string | undefined>>, inCache: boolean | undefined): boolean {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  if (dirs.some((dir) => existsSync(join(dir, VULKAN_LOADER_LIBRARY)))) return true;
  if (inCache !== undefined) return inCache;
  const cache = ldconfigCache();
  // Without ldconfig we cannot tell: let session creation decide (Dawn reports a missing loader, it does not crash).
  return cache === undefined || cache.includes(VULKAN_LOADER_LIBRARY);
}

interface IcdSearch {
  readonly icds: string[];
  readonly usable: string[];
  readonly missingLibraries: string[];
  /** Where we looked, for the reason. */
  readonly searched: string;
}

function findIcds(
  env: Readonly<Record<string, string | undefined>>,
  icdDirs: readonly string[] | undefined,
): IcdSearch {
  const variable =
    env.VK_DRIVER_FILES !== undefined && env.VK_DRIVER_FILES !== '' ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES';
  const named = env[variable];
  let icds: string[];
  let searched: string;
  if (named !== undefined && named !== '') {
    icds = named
      .split(delimiter)
      .filter((path) => path !== '')
      .flatMap((path) => manifestsAt(path));
    searched = `${variable}=${named} names no existing ICD manifest`;
  } else {
    const dirs = icdDirs ?? defaultIcdDirs(env);
    icds = dirs.flatMap((dir) => manifestsAt(dir));
    searched = `no ICD manifest in ${dirs.join(', ')}; set VK_ICD_FILENAMES, e.g. to Chromium's SwiftShader ${SWIFTSHADER_ICD}`;
  }
  const usable: string[] = [];
  const missingLibraries: string[] = [];
  for (const icd of icds) {
    const library = icdLibrary(icd);
    if (library === undefined || existsSync(library)) usable.push(icd);
    else missingLibraries.push(library);
  }
  return { icds, usable, missingLibraries, searched };
}

/** A manifest file, or the `.json` files of a folder; nothing for a path that does not exist. */
function manifestsAt(path: string): string[] {
  try {
    if (statSync(path).isDirectory()) {
      return readdirSync(path)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => join(path, name));
    }
    return [path];
  } catch {
    return [];
  }
}

/** The driver library a manifest names, as a path, when it names one by path (a bare soname is left to the loader). */
function icdLibrary(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } };
    const library = parsed.ICD?.library_path;
    if (typeof library !== 'string' || !library.includes('/')) return undefined;
    return isAbsolute(library) ? library : resolve(dirname(manifest), library);
  } catch {
    return undefined;
  }
}

function defaultIcdDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const config = (env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(delimiter).filter((d) => d !== '');
  const data = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(delimiter).filter((d) => d !== '');
  const home = env.HOME ?? homedir();
  const dirs = [
    ...config.map((d) => join(d, 'vulkan/icd.d')),
    '/etc/vulkan/icd.d',
    join(home, '.local/share/vulkan/icd.d'),
    ...data.map((d) => join(d, 'vulkan/icd.d')),
    '/usr/local/share/vulkan/icd.d',
    '/usr/share/vulkan/icd.d',
  ];
  return [...new Set(dirs)];
}
