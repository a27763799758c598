/**
 * `@dissonance/browser` — the browser side of dissonance. For now: the package version and WebGPU
 * detection; the ONNX Runtime Web runtime (WebGPU → wasm), IndexedDB store, uplink of reconciled
 * samples and signed model pull land in later releases.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { hasWebGpu } from './webgpu.js';
