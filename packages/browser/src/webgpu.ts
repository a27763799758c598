/** The one corner of `Navigator` this module reads; declared here so the package needs no DOM lib. */
interface NavigatorWithGpu {
  readonly gpu?: unknown;
}

/**
 * True when the current environment exposes WebGPU (`navigator.gpu`). It does not request an
 * adapter, so `true` means "worth trying", not "a GPU is guaranteed".
 */
export function hasWebGpu(): boolean {
  const navigator = (globalThis as { readonly navigator?: NavigatorWithGpu }).navigator;
  return navigator?.gpu !== undefined && navigator.gpu !== null;
}
