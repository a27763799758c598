/** Which execution provider to ask for: `auto` uses WebGPU when an adapter is available, else wasm. */
export type WebExecutionProviderOption = 'auto' | 'webgpu' | 'wasm';

/** The execution provider a session actually runs on. */
export type WebExecutionProvider = 'webgpu' | 'wasm';

/** How `auto` chooses when WebGPU is available: take it (`first`), or time both on the model (`benchmark`). */
export type WebProviderSelection = 'first' | 'benchmark';

/** What a `select: 'benchmark'` load measured: median ms per run of the same batch on each provider. */
export interface ProviderBenchmark {
  readonly rows: number;
  readonly webgpuMs: number;
  readonly wasmMs: number;
}
