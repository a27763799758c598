/** The one corner of `Navigator` this module reads; declared here so the public types need no DOM lib. */
interface NavigatorWithGpu {
  readonly gpu?: {
    requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
  } | null;
}

/** The fields of a `GPUAdapter` read by {@link probeWebGpu}. */
interface GpuAdapterLike {
  readonly info?: {
    readonly vendor?: string;
    readonly architecture?: string;
    readonly device?: string;
    readonly description?: string;
  };
  readonly isFallbackAdapter?: boolean;
}

/**
 * True when the current environment exposes WebGPU (`navigator.gpu`). It does not request an
 * adapter, so `true` means "worth trying", not "a GPU is guaranteed".
 */
export function hasWebGpu(): boolean {
  const navigator = (globalThis as { readonly navigator?: NavigatorWithGpu }).navigator;
  return navigator?.gpu !== undefined && navigator.gpu !== null;
}

/** What {@link probeWebGpu} found. Never thrown: an unavailable WebGPU is reported, not raised. */
export interface WebGpuProbe {
  /** True when `navigator.gpu.requestAdapter()` gave an adapter. */
  readonly available: boolean;
  /** One line for logs: the adapter (`google swiftshader …`) or why there is none. */
  readonly reason: string;
  /** The adapter's vendor, architecture, device and description as the browser reports them (`''` when absent). */
  readonly adapter?: {
    readonly vendor: string;
    readonly architecture: string;
    readonly device: string;
    readonly description: string;
  };
  /** True for a software adapter (SwiftShader) or one the browser flags as a fallback adapter. */
  readonly software: boolean;
}

/**
 * Asks for a WebGPU adapter (`navigator.gpu.requestAdapter()`) and describes it. A software adapter
 * (SwiftShader, as headless Chromium gives with `--enable-unsafe-webgpu`) is reported as `software: true`.
 */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const navigator = (globalThis as { readonly navigator?: NavigatorWithGpu }).navigator;
  const gpu = navigator?.gpu;
  if (gpu === undefined || gpu === null) {
    return {
      available: false,
      reason: 'navigator.gpu is absent (no WebGPU in this browser or context)',
      software: false,
    };
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return {
      available: false,
      reason: `navigator.gpu.requestAdapter() threw: ${error instanceof Error ? error.message : String(error)}`,
      software: false,
    };
  }
  if (adapter === null) {
    return {
      available: false,
      reason: 'navigator.gpu.requestAdapter() returned null (no usable GPU adapter)',
      software: false,
    };
  }
  const info = adapter.info ?? {};
  const described = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const text = [described.vendor, described.architecture, described.device, described.description]
    .filter((s) => s !== '')
    .join(' ');
  const software = adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|software/i.test(text);
  return {
    available: true,
    reason: `adapter ${text === '' ? '(no info)' : text}${software ? ' (software)' : ''}`,
    adapter: described,
    software,
  };
}
