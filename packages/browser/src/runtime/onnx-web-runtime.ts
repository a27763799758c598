import {
  DissonanceError,
  isDissonanceError,
  toDissonanceError,
  type ModelArtifact,
  type ModelInfo,
  type ModelRuntime,
} from '@dissonance/core';
import { chooseInput, chooseOutput, errorText, inputDims } from '@dissonance/core/adapter-kit';
import type { Env, InferenceSession } from 'onnxruntime-web';
import { fetchModelBytes, type FetchFunction } from '../cache/fetch-model.js';
import type { ModelCache } from '../cache/model-cache.js';
import { probeWebGpu, type WebGpuProbe } from '../webgpu.js';
import { OnnxWebModel, type OutputKind } from './onnx-web-model.js';
import { serializeRun } from './run-queue.js';
import { loadOrtWeb, type OrtWebModule } from './ort-web.js';
import type {
  ProviderBenchmark,
  WebExecutionProvider,
  WebExecutionProviderOption,
  WebProviderSelection,
} from './web-execution-provider.js';

/** Options of {@link OnnxWebRuntime}. */
export interface OnnxWebRuntimeOptions {
  /**
   * `auto` (default): WebGPU when `navigator.gpu` yields an adapter and a WebGPU session can be created, else
   * wasm (see `providerReason`). `webgpu`: WebGPU or `E_ACCELERATOR_UNAVAILABLE`. `wasm`: wasm.
   */
  readonly executionProvider?: WebExecutionProviderOption;
  /**
   * With `auto` and an adapter: `first` (default) takes WebGPU; `benchmark` creates both sessions for each
   * model, times `benchmarkRuns` runs of `benchmarkRows` rows on each and keeps the faster (on a software
   * adapter such as SwiftShader, wasm wins).
   */
  readonly select?: WebProviderSelection;
  /** Rows per timed run with `select: 'benchmark'` (default 64). */
  readonly benchmarkRows?: number;
  /** Timed runs per provider with `select: 'benchmark'`, after one warm-up (default 5). */
  readonly benchmarkRuns?: number;
  /**
   * Where onnxruntime-web finds its `.wasm` (and `.mjs`) files: a URL prefix ending in `/` or a map of file
   * names to URLs (`ort.env.wasm.wasmPaths`). Default: next to onnxruntime-web's own module.
   */
  readonly wasmPaths?: Env.WasmPrefixOrFilePaths;
  /** wasm threads (`ort.env.wasm.numThreads`; more than 1 needs a cross-origin isolated page). */
  readonly numThreads?: number;
  /** What the output holds; `auto` (default) probes each model once. */
  readonly outputs?: OutputKind | 'auto';
  /** Output to read, overriding the choice by name (`probabilities`, `output_probability`, else the first float [N, k]). */
  readonly outputName?: string;
  /** Cache for {@link OnnxWebRuntime.loadUrl} (a `CacheApiModelCache` or `IndexedDbModelCache`); none by default. */
  readonly cache?: ModelCache;
  /** The onnxruntime-web module to use (default: `import('onnxruntime-web')` on first load). */
  readonly ort?: OrtWebModule;
  /** Replaces {@link probeWebGpu} (for tests and diagnostics). */
  readonly probeWebGpu?: () => Promise<WebGpuProbe>;
  /** Replaces the global `fetch` for {@link OnnxWebRuntime.loadUrl}. */
  readonly fetch?: FetchFunction;
}

/** Facts about a model to load from bytes or a URL; missing ones are read from the model itself. */
export type PartialModelInfo = Partial<ModelInfo>;

/** Options of {@link OnnxWebRuntime.loadUrl}: model facts plus the expected digest and request headers. */
export interface LoadUrlOptions extends PartialModelInfo {
  /** Expected sha256 (hex) of the model bytes; a mismatch rejects with `E_ARTIFACT_DIGEST`. */
  readonly sha256?: string;
  /** Request headers, e.g. `{ authorization: 'Bearer …' }`. */
  readonly headers?: Readonly<Record<string, string>>;
}

const PROVIDERS: readonly WebExecutionProviderOption[] = ['auto', 'webgpu', 'wasm'];

/**
 * Loads ONNX models into onnxruntime-web sessions on WebGPU or wasm: a {@link ModelRuntime} for browsers.
 * The provider is decided on the first load (`navigator.gpu.requestAdapter()`); `chosenProvider` and
 * `providerReason` say which and why, e.g. `wasm: navigator.gpu is absent` or
 * `webgpu: adapter google swiftshader (software)`. With `auto`, a WebGPU session that cannot be created makes
 * this runtime fall back to wasm for good (the reason names the error); a model whose session opens on WebGPU
 * but fails its load-time probe there (an operator the WebGPU provider gets wrong) runs on wasm, with
 * `providerReason` `wasm: the model failed on WebGPU: …`, while later models still try WebGPU. Models come from bytes
 * ({@link load}, {@link loadBytes}) or a URL ({@link loadUrl}, digest-checked and cached).
 */
export class OnnxWebRuntime implements ModelRuntime {
  readonly #options: OnnxWebRuntimeOptions;
  readonly #requested: WebExecutionProviderOption;
  #decided: Promise<WebExecutionProvider> | undefined;
  #provider: WebExecutionProvider | undefined;
  #reason = 'not decided yet: the provider is chosen on the first load';
  #probe: WebGpuProbe | undefined;

  constructor(options: OnnxWebRuntimeOptions = {}) {
    checkOptions(options);
    this.#options = options;
    this.#requested = options.executionProvider ?? 'auto';
  }

  /** `onnxruntime-web/webgpu`, `onnxruntime-web/wasm`, or `onnxruntime-web/auto` before the first load. */
  get name(): string {
    return `onnxruntime-web/${this.#provider ?? this.#requested}`;
  }

  /** The provider new sessions are created for; undefined before the first load (or {@link decide}). */
  get chosenProvider(): WebExecutionProvider | undefined {
    return this.#provider;
  }

  /** Why, e.g. `wasm: navigator.gpu.requestAdapter() returned null (no usable GPU adapter)`. */
  get providerReason(): string {
    return this.#reason;
  }

  /** What the WebGPU probe found (undefined before the first load, or with `executionProvider: 'wasm'`). */
  get webGpu(): WebGpuProbe | undefined {
    return this.#probe;
  }

  /** Only `onnx`. */
  supports(format: string): boolean {
    return format === 'onnx';
  }

  /**
   * Decides the provider now (probing WebGPU) instead of on the first load. With `executionProvider:
   * 'webgpu'` and no adapter, rejects with `E_ACCELERATOR_UNAVAILABLE` quoting the browser.
   */
  decide(): Promise<WebExecutionProvider> {
    this.#decided ??= this.#decide();
    return this.#decided;
  }

  /** Loads an `onnx` artifact; `E_MODEL` for other formats and for bytes that are not a usable model. */
  async load(artifact: ModelArtifact, info: ModelInfo): Promise<OnnxWebModel> {
    if (!this.supports(artifact.format)) {
      throw new DissonanceError('E_MODEL', `${this.name} cannot load format "${artifact.format}" (only "onnx")`);
    }
    return this.#open(artifact, info);
  }

  /** Loads ONNX bytes; input width and class count come from the model when `info` leaves them out. */
  loadBytes(bytes: Uint8Array, info: PartialModelInfo = {}): Promise<OnnxWebModel> {
    if (!(bytes instanceof Uint8Array))
      return Promise.reject(new DissonanceError('E_INPUT', 'loadBytes: bytes must be a Uint8Array'));
    return this.#open({ format: 'onnx', bytes }, info);
  }

  /**
   * Fetches and loads the model at `url`: through the configured cache, digest-checked (see
   * `fetchModelBytes`). The name defaults to the URL's last path segment.
   */
  async loadUrl(url: string, options: LoadUrlOptions = {}): Promise<OnnxWebModel> {
    const { sha256, headers, ...info } = options;
    const fetched = await fetchModelBytes(url, {
      ...(sha256 === undefined ? {} : { sha256 }),
      ...(headers === undefined ? {} : { headers }),
      ...(this.#options.cache === undefined ? {} : { cache: this.#options.cache }),
      ...(this.#options.fetch === undefined ? {} : { fetch: this.#options.fetch }),
    });
    const base = url.split(/[?#]/)[0]!.split('/').pop() ?? '';
    return this.#open(
      { format: 'onnx', bytes: fetched.bytes },
      { name: base.replace(/\.onnx$/, '') || 'onnx-model', ...info },
    );
  }

  async #decide(): Promise<WebExecutionProvider> {
    this.#applyEnv(await this.#ort());
    if (this.#requested === 'wasm') return this.#set('wasm', 'wasm: requested');
    const probe = await (this.#options.probeWebGpu ?? probeWebGpu)();
    this.#probe = probe;
    if (probe.available) return this.#set('webgpu', `webgpu: ${probe.reason}`);
    if (this.#requested === 'webgpu') {
      throw new DissonanceError('E_ACCELERATOR_UNAVAILABLE', `WebGPU execution provider unavailable: ${probe.reason}`);
    }
    return this.#set('wasm', `wasm: ${probe.reason}`);
  }

  #set(provider: WebExecutionProvider, reason: string): WebExecutionProvider {
    this.#provider = provider;
    this.#reason = reason;
    return provider;
  }

  #ort(): Promise<OrtWebModule> {
    return this.#options.ort === undefined ? loadOrtWeb() : Promise.resolve(this.#options.ort);
  }

  #applyEnv(ort: OrtWebModule): void {
    const { wasmPaths, numThreads } = this.#options;
    if (wasmPaths !== undefined) ort.env.wasm.wasmPaths = wasmPaths;
    if (numThreads !== undefined) ort.env.wasm.numThreads = numThreads;
  }

  async #open(artifact: ModelArtifact, info: PartialModelInfo): Promise<OnnxWebModel> {
    const name = info.name ?? 'onnx-model';
    const version = info.version ?? '0';
    const label = `${name}@${version}`;
    const ort = await this.#ort();
    await this.decide();
    let opened = await this.#createSession(ort, artifact.bytes, label);
    if (this.#options.select === 'benchmark' && this.#requested === 'auto' && opened.provider === 'webgpu') {
      opened = await this.#benchmark(ort, opened.session, artifact.bytes, label, info);
    }
    const wrap = (session: OpenedSession): Promise<OnnxWebModel> =>
      OnnxWebModel.fromSession(ort, session.session, {
        name,
        version,
        inputWidth: info.inputWidth,
        classes: info.classes,
        outputName: this.#options.outputName,
        outputs: this.#options.outputs,
        artifact,
        provider: session.provider,
        providerReason: session.reason,
        ...(session.benchmark === undefined ? {} : { benchmark: session.benchmark }),
      });
    try {
      return await wrap(opened);
    } catch (error) {
      await opened.session.release().catch(() => undefined);
      if (
        opened.provider !== 'webgpu' ||
        this.#requested !== 'auto' ||
        !isDissonanceError(error) ||
        error.code !== 'E_MODEL'
      )
        throw error;
      // The session opened on WebGPU but the model fails there (an operator the WebGPU provider gets wrong):
      // this model runs on wasm; others keep trying WebGPU.
      const wasm = {
        session: await this.#session(ort, artifact.bytes, 'wasm', label),
        provider: 'wasm' as const,
        reason: `wasm: the model failed on WebGPU: ${error.message}`,
      };
      try {
        return await wrap(wasm);
      } catch (wasmError) {
        await wasm.session.release().catch(() => undefined);
        throw wasmError;
      }
    }
  }

  /** Opens a wasm session for the same model, times both on the same rows, keeps the faster, releases the other. */
  async #benchmark(
    ort: OrtWebModule,
    gpu: InferenceSession,
    bytes: Uint8Array,
    label: string,
    info: PartialModelInfo,
  ): Promise<OpenedSession> {
    const wasm = await this.#session(ort, bytes, 'wasm', label);
    try {
      const input = chooseInput(gpu, label);
      const output = chooseOutput(gpu, label, this.#options.outputName);
      const width = input.width ?? info.inputWidth;
      if (width === undefined)
        throw new DissonanceError('E_MODEL', `${label}: the model does not declare its input width; pass inputWidth`);
      const shape = input.shape ?? [width];
      const rows = this.#options.benchmarkRows ?? 64;
      const runs = this.#options.benchmarkRuns ?? 5;
      const x = new Float32Array(rows * width);
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.37 * i);
      const time = (session: InferenceSession) =>
        medianMs(
          () =>
            serializeRun(() =>
              session.run({ [input.name]: new ort.Tensor('float32', x, inputDims(rows, shape)) }, [output.name]),
            ),
          runs,
        );
      const webgpuMs = await time(gpu);
      const wasmMs = await time(wasm);
      const benchmark: ProviderBenchmark = { rows, webgpuMs, wasmMs };
      const gpuWins = webgpuMs < wasmMs;
      const timing = `benchmark at ${rows} rows: webgpu ${webgpuMs.toFixed(3)} ms, wasm ${wasmMs.toFixed(3)} ms per run on ${this.#probe?.reason ?? 'the adapter'}`;
      await (gpuWins ? wasm : gpu).release();
      return gpuWins
        ? { session: gpu, provider: 'webgpu', reason: `webgpu: ${timing}`, benchmark }
        : { session: wasm, provider: 'wasm', reason: `wasm: ${timing}`, benchmark };
    } catch (error) {
      await wasm.release().catch(() => undefined);
      await gpu.release().catch(() => undefined);
      throw toDissonanceError(error, 'E_MODEL', `${label}: provider benchmark failed`);
    }
  }

  async #createSession(ort: OrtWebModule, bytes: Uint8Array, label: string): Promise<OpenedSession> {
    const wasm = async (reason: string) => ({
      session: await this.#session(ort, bytes, 'wasm', label),
      provider: 'wasm' as const,
      reason,
    });
    if (this.#provider !== 'webgpu') return wasm(this.#reason);
    try {
      return {
        session: await this.#session(ort, bytes, 'webgpu', label, true),
        provider: 'webgpu',
        reason: this.#reason,
      };
    } catch (gpuError) {
      // The model itself may be the problem: only blame WebGPU when wasm can load it.
      const fallback = await wasm(`wasm: WebGPU session could not be created: ${errorText(gpuError)}`);
      if (this.#requested === 'webgpu') {
        await fallback.session.release().catch(() => undefined);
        throw new DissonanceError(
          'E_ACCELERATOR_UNAVAILABLE',
          `${label}: WebGPU session could not be created: ${errorText(gpuError)}`,
          { cause: gpuError },
        );
      }
      this.#set('wasm', fallback.reason);
      return fallback;
    }
  }

  async #session(
    ort: OrtWebModule,
    bytes: Uint8Array,
    provider: WebExecutionProvider,
    label: string,
    raw = false,
  ): Promise<InferenceSession> {
    try {
      return await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      if (raw) throw error;
      throw new DissonanceError('E_MODEL', `${label}: not a usable ONNX model: ${errorText(error)}`, { cause: error });
    }
  }
}

interface OpenedSession {
  readonly session: InferenceSession;
  readonly provider: WebExecutionProvider;
  readonly reason: string;
  readonly benchmark?: ProviderBenchmark;
}

/** Median wall time of `runs` calls of `run` after one warm-up call. */
async function medianMs(run: () => Promise<unknown>, runs: number): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function checkOptions(options: OnnxWebRuntimeOptions): void {
  const provider = options.executionProvider;
  if (provider !== undefined && !PROVIDERS.includes(provider)) {
    throw new DissonanceError(
      'E_CONFIG',
      `executionProvider must be one of ${PROVIDERS.join(', ')}, got "${String(provider)}"`,
    );
  }
  if (options.select !== undefined && options.select !== 'first' && options.select !== 'benchmark') {
    throw new DissonanceError('E_CONFIG', `select must be "first" or "benchmark", got "${String(options.select)}"`);
  }
  for (const key of ['benchmarkRows', 'benchmarkRuns', 'numThreads'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new DissonanceError('E_CONFIG', `${key} must be a positive integer, got ${value}`);
    }
  }
  const outputs = options.outputs;
  if (outputs !== undefined && outputs !== 'auto' && outputs !== 'probabilities' && outputs !== 'logits') {
    throw new DissonanceError(
      'E_CONFIG',
      `outputs must be "auto", "probabilities" or "logits", got "${String(outputs)}"`,
    );
  }
}
