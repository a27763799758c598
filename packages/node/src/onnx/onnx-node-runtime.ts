import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import {
  DissonanceError,
  isDissonanceError,
  type ModelArtifact,
  type ModelInfo,
  type ModelRuntime,
} from '@dissonance/core';
import { errorText, inputDims, type ResolvedSessionIo } from '@dissonance/core/adapter-kit';
import type { InferenceSession } from 'onnxruntime-node';
import { noteCudaStarted, prepareCudaPrecision } from './cuda-exact.js';
import {
  probeCuda,
  type CudaProbe,
  type ExecutionProvider,
  type ExecutionProviderOption,
} from './execution-provider.js';
import {
  OnnxNodeModel,
  resolveOnnxIo,
  type OnnxPairing,
  type OnnxSessionView,
  type OutputKind,
} from './onnx-node-model.js';
import { loadOrt, type OrtModule } from './ort-module.js';
import { chooseProvider, timeInTurns, timeRuns, type ProviderChoice, type ProviderTimer } from './provider-choice.js';
import { chooseThreads, type ThreadChoice } from './thread-choice.js';
import {
  isWebGpuContextError,
  probeWebGpu,
  recordWebGpuFailure,
  webGpuFailureCause,
  type WebGpuProbe,
} from './webgpu-probe.js';

/** Options of {@link OnnxNodeRuntime}. */
export interface OnnxNodeRuntimeOptions {
  /**
   * `auto` (default): per model, the fastest of the providers present, by a short benchmark at `expectedBatch`
   * rows (CUDA when {@link probeCuda} finds its libraries, WebGPU when {@link probeWebGpu} finds a Vulkan
   * loader and driver, and the CPU); with no accelerator present nothing is probed beyond files and no time is
   * spent timing. `cuda` / `webgpu`: that provider or `E_ACCELERATOR_UNAVAILABLE` naming the cause. `cpu`.
   */
  readonly executionProvider?: ExecutionProviderOption;
  /** Rows per call the caller expects: `auto` times each provider at this batch size (default 64). */
  readonly expectedBatch?: number;
  /** Timed runs per provider with `auto`, after two warm-up runs (default 5). */
  readonly benchmarkRuns?: number;
  /** Milliseconds of timed runs per provider with `auto` before it stops early (default 250; one run at least). */
  readonly benchmarkBudgetMs?: number;
  /**
   * CUDA: turn TF32 off so float32 matrix products are computed in full float32 (probabilities within about
   * 1e-6 of the CPU instead of up to ~5e-4), at a cost in speed on Ampere and later GPUs. onnxruntime-node 1.30
   * cannot pass the provider's `use_tf32` option, so this sets `NVIDIA_TF32_OVERRIDE=0` for the whole process
   * before its first CUDA session (`E_CONFIG` if a CUDA session already started without it). Default false.
   */
  readonly exact?: boolean;
  /**
   * Threads one operator may use (default: onnxruntime's, one per physical core). `'auto'`: per model on the CPU,
   * one thread or onnxruntime's default, whichever runs `expectedBatch` rows faster in a short benchmark
   * (`benchmarkRuns` runs of each in turns, within `benchmarkBudgetMs` each), cached by the SHA-256 of the model's
   * bytes; the model's `intraOpNumThreads` and `providerReason` say what was chosen and why, and a pair of models
   * uses its first model's count. Worth it for small models: onnxruntime wakes its worker threads for every
   * operator, which costs more than it saves on small matrices (measured on 2 cores, a 64-128-10 MLP: one thread
   * 1.6× the default's rate at 64 rows and 1.2× at 1,024, 0.9× at 8,192; a 512-4096-4096-1000 MLP: 0.5×).
   */
  readonly intraOpNumThreads?: number | 'auto';
  /** Threads across operators (default: onnxruntime's). */
  readonly interOpNumThreads?: number;
  /**
   * Let each session's intra-op worker threads spin after a run, waiting for the next one (onnxruntime's own
   * default, `session.intra_op.allow_spinning` 1). Default false: an engine runs its proposer and critics one
   * session after another on the same thread, with its own JavaScript between runs; every session has its own
   * worker pool, so one session's spinning workers compete for the cores with the next session's workers and with
   * that JavaScript (measured on 2 cores: `engine.process` 1.5–1.7× faster at 1,024 rows with spinning off, the
   * raw two-session call 1.1–1.5× faster; `bench/inference/engine-stages.ts --allow-spinning` compares). Turn
   * it on for one model served back to back on otherwise idle cores.
   */
  readonly allowSpinning?: boolean;
  /** CUDA device ordinal (default 0). */
  readonly cudaDeviceId?: number;
  /**
   * Largest combined size in bytes of two models this runtime loads into one session when an engine runs them
   * as its proposer and its one critic (`OnnxNodeModel.pairWith`; default 16 MiB, 0 turns pairing off). One
   * session pays onnxruntime's per-call cost once; it also holds a second copy of both models' weights, which
   * large models, whose runs dwarf that cost, would not repay.
   */
  readonly pairMaxBytes?: number;
  /** What the output holds; `auto` (default) probes each model once (see {@link OnnxNodeModel.fromSession}). */
  readonly outputs?: OutputKind | 'auto';
  /** Output to read, overriding the choice by name (`probabilities`, `output_probability`, else the first float [N, k]). */
  readonly outputName?: string;
  /** Replaces {@link probeCuda} (for tests and diagnostics). */
  readonly probeCuda?: () => CudaProbe;
  /** Replaces {@link probeWebGpu} (for tests and diagnostics). */
  readonly probeWebGpu?: () => WebGpuProbe;
  /** Replaces the `auto` benchmark's timing of one provider (milliseconds per run); for tests that inject figures. */
  readonly timeProvider?: ProviderTimer;
}

/** Facts about a model to load from bytes or a file; missing ones are read from the model itself. */
export type PartialModelInfo = Partial<ModelInfo>;

type Accelerator = Exclude<ExecutionProvider, 'cpu'>;

const PROVIDERS: readonly ExecutionProviderOption[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** Default {@link OnnxNodeRuntimeOptions.pairMaxBytes}: 16 MiB. */
export const DEFAULT_PAIR_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Loads ONNX models into onnxruntime-node sessions (graph optimization `all`, sequential execution) on the
 * CPU, CUDA or WebGPU. `name` is `onnxruntime-node/<provider>`; `chosenProvider` and `providerReason` say which
 * provider the latest load chose and why (each model also carries its own `provider` and `providerReason`).
 * With `auto`, an accelerator whose session cannot be created is dropped for good (the reason names the
 * error) and a model's choice is cached by the SHA-256 of its bytes. Construction with `cuda` or `webgpu`
 * throws `E_ACCELERATOR_UNAVAILABLE` naming the cause when the provider cannot be there (missing CUDA files;
 * no Vulkan loader or driver).
 */
export class OnnxNodeRuntime implements ModelRuntime {
  readonly #options: OnnxNodeRuntimeOptions;
  readonly #requested: ExecutionProviderOption;
  /** Accelerators still worth trying, in preference order, with what their probe said. */
  readonly #accelerators = new Map<Accelerator, string>();
  /** Why each accelerator is not tried (probe or failure), for the CPU's reason. */
  readonly #absent = new Map<Accelerator, string>();
  readonly #webGpuIcds: readonly string[];
  /** `auto` choices by model digest. */
  readonly #choices = new Map<string, ProviderChoice>();
  /** `intraOpNumThreads: 'auto'` choices by model digest. */
  readonly #threadChoices = new Map<string, ThreadChoice>();
  #provider: ExecutionProvider;
  #reason: string;
  /** What every model of this runtime gets to pair with another of its models (one object: pairs stay in one runtime). */
  readonly #pairing: OnnxPairing | undefined;

  constructor(options: OnnxNodeRuntimeOptions = {}) {
    checkOptions(options);
    this.#options = options;
    this.#requested = options.executionProvider ?? 'auto';
    let icds: readonly string[] = [];
    if (this.#requested === 'auto' || this.#requested === 'cuda') {
      const probe = (options.probeCuda ?? probeCuda)();
      if (probe.available) this.#accelerators.set('cuda', probe.reason);
      else if (this.#requested === 'cuda') {
        throw new DissonanceError('E_ACCELERATOR_UNAVAILABLE', `CUDA execution provider unavailable: ${probe.reason}`, {
          details: { missing: probe.missing, bindingDir: probe.bindingDir ?? null },
        });
      } else this.#absent.set('cuda', probe.reason);
    }
    if (this.#requested === 'auto' || this.#requested === 'webgpu') {
      const probe = (options.probeWebGpu ?? probeWebGpu)();
      icds = probe.icds;
      if (probe.available) this.#accelerators.set('webgpu', probe.reason);
      else if (this.#requested === 'webgpu') {
        throw new DissonanceError(
          'E_ACCELERATOR_UNAVAILABLE',
          `WebGPU execution provider unavailable: ${probe.reason}`,
          {
            details: { missing: [...probe.missing], icds: [...probe.icds] },
          },
        );
      } else this.#absent.set('webgpu', `webgpu: ${probe.reason}`);
    }
    this.#webGpuIcds = icds;
    const maxBytes = options.pairMaxBytes ?? DEFAULT_PAIR_MAX_BYTES;
    this.#pairing =
      maxBytes === 0
        ? undefined
        : {
            maxBytes,
            open: async (bytes, provider, threads) =>
              provider === 'cpu'
                ? this.#cpuSession(await loadOrt(), bytes, 'paired models', threads)
                : this.#tryAccelerator(await loadOrt(), bytes, provider),
          };
    const first = this.#accelerators.entries().next().value;
    if (this.#requested === 'cpu') {
      this.#provider = 'cpu';
      this.#reason = 'cpu: requested';
    } else if (first !== undefined) {
      this.#provider = first[0];
      const more =
        this.#requested === 'auto'
          ? `; auto: each model is timed at batch ${this.#expectedBatch} on ${[...this.#accelerators.keys(), 'cpu'].join(', ')}`
          : '';
      this.#reason = `${first[0]}: ${first[1]}${more}`;
    } else {
      this.#provider = 'cpu';
      this.#reason = `cpu: ${this.#absentReason()}`;
    }
  }

  /** `onnxruntime-node/cpu`, `onnxruntime-node/cuda` or `onnxruntime-node/webgpu`: the latest choice. */
  get name(): string {
    return `onnxruntime-node/${this.#provider}`;
  }

  /** The provider of the latest load (before any load: the first accelerator present, else the CPU). */
  get chosenProvider(): ExecutionProvider {
    return this.#provider;
  }

  /**
   * Why: e.g. `cpu: libonnxruntime_providers_cuda.so … not found in …; webgpu: no Vulkan driver (…)`, or with
   * `auto`: `webgpu: fastest at batch 1024 by measurement: webgpu 0.41 ms/run (…), cpu 0.93 ms/run (…)`.
   */
  get providerReason(): string {
    return this.#reason;
  }

  /** Only `onnx`. */
  supports(format: string): boolean {
    return format === 'onnx';
  }

  /** Loads an `onnx` artifact; `E_MODEL` for other formats and for bytes that are not a usable model. */
  async load(artifact: ModelArtifact, info: ModelInfo): Promise<OnnxNodeModel> {
    if (!this.supports(artifact.format)) {
      throw new DissonanceError('E_MODEL', `${this.name} cannot load format "${artifact.format}" (only "onnx")`);
    }
    return this.#open(artifact, info);
  }

  /** Loads ONNX bytes; input width and class count come from the model when `info` leaves them out. */
  loadBytes(bytes: Uint8Array, info: PartialModelInfo = {}): Promise<OnnxNodeModel> {
    if (!(bytes instanceof Uint8Array)) throw new DissonanceError('E_INPUT', 'loadBytes: bytes must be a Uint8Array');
    return this.#open({ format: 'onnx', bytes }, info);
  }

  /** Reads and loads an ONNX file; the name defaults to the file's base name. Unreadable file → `E_MODEL`. */
  async loadFile(path: string, info: PartialModelInfo = {}): Promise<OnnxNodeModel> {
    let file: Uint8Array;
    try {
      file = await readFile(path);
    } catch (error) {
      throw new DissonanceError('E_MODEL', `cannot read model file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    return this.#open({ format: 'onnx', bytes }, { name: basename(path, extname(path)), ...info });
  }

  get #expectedBatch(): number {
    return this.#options.expectedBatch ?? 64;
  }

  async #open(artifact: ModelArtifact, info: PartialModelInfo): Promise<OnnxNodeModel> {
    const name = info.name ?? 'onnx-model';
    const version = info.version ?? '0';
    const label = `${name}@${version}`;
    const ort = await loadOrt();
    const view: OnnxSessionView = {
      name,
      version,
      inputWidth: info.inputWidth,
      classes: info.classes,
      outputName: this.#options.outputName,
      outputs: this.#options.outputs,
      artifact,
      provider: 'cpu',
      ...(this.#pairing === undefined ? {} : { pairing: this.#pairing }),
    };
    const bytes = artifact.bytes;
    if (this.#requested === 'cuda' || this.#requested === 'webgpu') {
      const provider = this.#requested;
      const session = await this.#explicitSession(ort, bytes, provider, label);
      this.#set(provider, `${provider}: requested; ${this.#accelerators.get(provider) ?? ''}`.replace(/; $/, ''));
      return wrap(ort, session, {
        ...view,
        provider,
        providerReason: this.#reason,
        intraOpNumThreads: this.#fixedThreads,
      });
    }
    if (this.#accelerators.size === 0) {
      const cpu = await this.#cpuContender(ort, bytes, label, view);
      this.#set('cpu', this.#requested === 'cpu' ? 'cpu: requested' : `cpu: ${this.#absentReason()}`);
      return cpu.model({ ...view, provider: 'cpu', providerReason: this.#reason });
    }
    return this.#auto(ort, bytes, label, view);
  }

  /** `auto` with accelerators present: the cached choice for these bytes, else a benchmark of every provider. */
  async #auto(ort: OrtModule, bytes: Uint8Array, label: string, view: OnnxSessionView): Promise<OnnxNodeModel> {
    const digest = sha256(bytes);
    const cached = this.#choices.get(digest);
    if (cached !== undefined && (cached.provider === 'cpu' || this.#accelerators.has(cached.provider))) {
      const reason = `${cached.reason} (cached for sha256 ${digest.slice(0, 12)})`;
      const cachedView = {
        ...view,
        provider: cached.provider,
        providerReason: reason,
        benchmark: cached.benchmark,
        intraOpNumThreads: this.#fixedThreads,
      };
      if (cached.provider === 'cpu') {
        const contender = await this.#cpuContender(ort, bytes, label, view, digest);
        this.#set('cpu', reason);
        return contender.model(cachedView);
      }
      const session = await this.#acceleratorSession(ort, bytes, cached.provider);
      if (session !== undefined) {
        this.#set(cached.provider, reason);
        return wrap(ort, session, cachedView);
      }
    }
    // The CPU session first: it tells a bad model (E_MODEL) from a provider that cannot run it.
    const contender = await this.#cpuContender(ort, bytes, label, view, digest);
    const { session: cpu, io } = contender;
    const sessions = new Map<ExecutionProvider, InferenceSession>([['cpu', cpu]]);
    for (const provider of [...this.#accelerators.keys()]) {
      const session = await this.#acceleratorSession(ort, bytes, provider);
      if (session !== undefined) sessions.set(provider, session);
    }
    const release = (keep: ExecutionProvider | undefined): Promise<unknown> =>
      Promise.all([...sessions].filter(([p]) => p !== keep).map(([, s]) => s.release().catch(() => undefined)));
    if (sessions.size === 1) {
      this.#set('cpu', `cpu: ${this.#absentReason()}`);
      return contender.model({ ...view, provider: 'cpu', providerReason: this.#reason });
    }
    let choice: ProviderChoice;
    try {
      choice = chooseProvider(await this.#time(ort, sessions, io), this.#expectedBatch);
    } catch (error) {
      await release(undefined);
      throw isDissonanceError(error)
        ? error
        : new DissonanceError('E_MODEL', `${label}: provider benchmark failed: ${errorText(error)}`, { cause: error });
    }
    await release(choice.provider);
    this.#choices.set(digest, choice);
    this.#set(choice.provider, choice.reason);
    const chosenView = {
      ...view,
      provider: choice.provider,
      providerReason: choice.reason,
      benchmark: choice.benchmark,
      intraOpNumThreads: this.#fixedThreads,
    };
    if (choice.provider === 'cpu') return contender.model(chosenView);
    return wrap(ort, sessions.get(choice.provider)!, chosenView);
  }

  /**
   * A CPU session for a model with its input and output resolved, and how to wrap it: with the configured thread
   * count, or with `intraOpNumThreads: 'auto'` the faster of one thread and onnxruntime's default (cached by
   * digest). The model's `providerReason` gains the thread choice's reason.
   */
  async #cpuContender(
    ort: OrtModule,
    bytes: Uint8Array,
    label: string,
    view: OnnxSessionView,
    digest?: string,
  ): Promise<CpuContender> {
    const contender = (session: InferenceSession, io: ResolvedSessionIo, choice?: ThreadChoice): CpuContender => ({
      session,
      io,
      model: (chosen) =>
        OnnxNodeModel.fromResolved(
          ort,
          session,
          {
            ...chosen,
            intraOpNumThreads: choice === undefined ? this.#fixedThreads : choice.threads,
            ...(choice === undefined ? {} : { providerReason: `${chosen.providerReason ?? 'cpu'}; ${choice.reason}` }),
          },
          io,
        ),
    });
    if (this.#options.intraOpNumThreads !== 'auto') {
      const session = await this.#cpuSession(ort, bytes, label, this.#fixedThreads);
      return contender(session, await resolveOrRelease(ort, session, view));
    }
    const key = digest ?? sha256(bytes);
    const cached = this.#threadChoices.get(key);
    if (cached !== undefined) {
      const session = await this.#cpuSession(ort, bytes, label, cached.threads);
      const io = await resolveOrRelease(ort, session, view);
      return contender(session, io, {
        ...cached,
        reason: `${cached.reason} (cached for sha256 ${key.slice(0, 12)})`,
      });
    }
    const one = await this.#cpuSession(ort, bytes, label, 1);
    const io = await resolveOrRelease(ort, one, view);
    let choice: ThreadChoice;
    let kept = one;
    if (availableParallelism() <= 1) {
      choice = { threads: 1, reason: 'intra-op threads 1: one core available', rows: this.#expectedBatch, timings: [] };
    } else {
      let other: InferenceSession;
      try {
        other = await this.#cpuSession(ort, bytes, label, undefined);
      } catch (error) {
        await one.release().catch(() => undefined);
        throw error;
      }
      try {
        choice = chooseThreads(await this.#timeThreads(ort, [one, other], io), this.#expectedBatch);
      } catch (error) {
        await Promise.all([one.release(), other.release()].map((p) => p.catch(() => undefined)));
        throw new DissonanceError('E_MODEL', `${label}: thread benchmark failed: ${errorText(error)}`, {
          cause: error,
        });
      }
      kept = choice.threads === 1 ? one : other;
      await (kept === one ? other : one).release().catch(() => undefined);
    }
    this.#threadChoices.set(key, choice);
    return contender(kept, io, choice);
  }

  /** Milliseconds per run of `expectedBatch` rows on a one-thread and a default session, timed in turns. */
  async #timeThreads(
    ort: OrtModule,
    [one, other]: readonly [InferenceSession, InferenceSession],
    io: ResolvedSessionIo,
  ): Promise<Array<{ threads: number | undefined; msPerRun: number }>> {
    const { feeds, fetches } = this.#probe(ort, io);
    const [msOne, msOther] = await timeInTurns(
      [() => one.run(feeds, fetches), () => other.run(feeds, fetches)],
      this.#timing,
    );
    return [
      { threads: 1, msPerRun: msOne! },
      { threads: undefined, msPerRun: msOther! },
    ];
  }

  /** What the benchmarks feed: `expectedBatch` fixed, deterministic rows, and the one output to fetch. */
  #probe(
    ort: OrtModule,
    io: ResolvedSessionIo,
  ): { feeds: Record<string, InstanceType<OrtModule['Tensor']>>; fetches: string[] } {
    const rows = this.#expectedBatch;
    const x = new Float32Array(rows * io.inputWidth);
    for (let i = 0; i < x.length; i++) x[i] = 3 * Math.sin(0.37 * i);
    return {
      feeds: { [io.inputName]: new ort.Tensor('float32', x, inputDims(rows, io.inputShape)) },
      fetches: [io.outputName],
    };
  }

  /** Milliseconds per run of `expectedBatch` rows on each session (fixed, deterministic rows). */
  async #time(
    ort: OrtModule,
    sessions: ReadonlyMap<ExecutionProvider, InferenceSession>,
    io: ResolvedSessionIo,
  ): Promise<Array<{ provider: ExecutionProvider; msPerRun: number }>> {
    const { feeds, fetches } = this.#probe(ort, io);
    const timer: ProviderTimer = this.#options.timeProvider ?? ((_provider, run) => timeRuns(run, this.#timing));
    const timings: Array<{ provider: ExecutionProvider; msPerRun: number }> = [];
    for (const [provider, session] of sessions) {
      timings.push({
        provider,
        msPerRun: await timer(provider, () => session.run(feeds, fetches), this.#expectedBatch),
      });
    }
    return timings;
  }

  /** The benchmarks' limits: `benchmarkRuns` and `benchmarkBudgetMs`. */
  get #timing(): { runs: number; budgetMs: number } {
    return { runs: this.#options.benchmarkRuns ?? 5, budgetMs: this.#options.benchmarkBudgetMs ?? 250 };
  }

  /** Why the accelerators are not used: CUDA's reason, then WebGPU's. */
  #absentReason(): string {
    return (['cuda', 'webgpu'] as const)
      .map((provider) => this.#absent.get(provider))
      .filter((reason) => reason !== undefined)
      .join('; ');
  }

  #set(provider: ExecutionProvider, reason: string): void {
    this.#provider = provider;
    this.#reason = reason;
  }

  /** The configured intra-op thread count; undefined with `'auto'` (chosen per model) or when not set. */
  get #fixedThreads(): number | undefined {
    const threads = this.#options.intraOpNumThreads;
    return typeof threads === 'number' ? threads : undefined;
  }

  /** Session options of every session; `intraOpNumThreads` undefined leaves onnxruntime's default. */
  #baseOptions(intraOpNumThreads = this.#fixedThreads): InferenceSession.SessionOptions {
    const { interOpNumThreads, allowSpinning = false } = this.#options;
    return {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      ...(intraOpNumThreads === undefined ? {} : { intraOpNumThreads }),
      ...(interOpNumThreads === undefined ? {} : { interOpNumThreads }),
      extra: spinningEntry(allowSpinning),
    };
  }

  async #cpuSession(
    ort: OrtModule,
    bytes: Uint8Array,
    label: string,
    threads: number | undefined,
  ): Promise<InferenceSession> {
    try {
      return await ort.InferenceSession.create(bytes, { ...this.#baseOptions(threads), executionProviders: ['cpu'] });
    } catch (error) {
      throw new DissonanceError('E_MODEL', `${label}: not a usable ONNX model: ${errorText(error)}`, { cause: error });
    }
  }

  /** The raw attempt: rejects with onnxruntime's error. */
  async #tryAccelerator(ort: OrtModule, bytes: Uint8Array, provider: Accelerator): Promise<InferenceSession> {
    if (provider === 'cuda') {
      prepareCudaPrecision(this.#options.exact === true);
      // `use_tf32` is what newer bindings may forward; 1.30 reads only deviceId (see prepareCudaPrecision).
      const cuda = {
        name: 'cuda',
        deviceId: this.#options.cudaDeviceId ?? 0,
        ...(this.#options.exact === true ? { use_tf32: 0 } : {}),
      };
      const session = await ort.InferenceSession.create(bytes, {
        ...this.#baseOptions(),
        executionProviders: [cuda, 'cpu'],
      });
      noteCudaStarted();
      return session;
    }
    return ort.InferenceSession.create(bytes, { ...this.#baseOptions(), executionProviders: ['webgpu', 'cpu'] });
  }

  /** Why an accelerator session failed, naming the cause; WebGPU context failures are remembered process-wide. */
  #failureCause(provider: Accelerator, error: unknown): string {
    const message = errorText(error);
    if (provider === 'cuda') return `CUDA session could not be created: ${message}`;
    if (isWebGpuContextError(message)) {
      // The files may say why (an injected probe may have hidden it): name that cause too.
      const files = probeWebGpu();
      const cause = webGpuFailureCause(message, this.#webGpuIcds) + (files.available ? '' : `: ${files.reason}`);
      recordWebGpuFailure(cause);
      return cause;
    }
    return `WebGPU session could not be created: ${message}`;
  }

  /** `cuda`/`webgpu` as requested: the session, `E_ACCELERATOR_UNAVAILABLE` naming the cause, or `E_MODEL`. */
  async #explicitSession(
    ort: OrtModule,
    bytes: Uint8Array,
    provider: Accelerator,
    label: string,
  ): Promise<InferenceSession> {
    try {
      return await this.#tryAccelerator(ort, bytes, provider);
    } catch (error) {
      if (isDissonanceError(error)) throw error;
      // The model itself may be the problem: only blame the accelerator when the CPU can load it.
      const session = await this.#cpuSession(ort, bytes, label, this.#fixedThreads);
      await session.release().catch(() => undefined);
      throw new DissonanceError('E_ACCELERATOR_UNAVAILABLE', `${label}: ${this.#failureCause(provider, error)}`, {
        cause: error,
        details: { provider },
      });
    }
  }

  /** `auto`: the session, or undefined after dropping the accelerator for this runtime (the reason says why). */
  async #acceleratorSession(
    ort: OrtModule,
    bytes: Uint8Array,
    provider: Accelerator,
  ): Promise<InferenceSession | undefined> {
    try {
      return await this.#tryAccelerator(ort, bytes, provider);
    } catch (error) {
      if (isDissonanceError(error)) throw error;
      const cause = this.#failureCause(provider, error);
      this.#accelerators.delete(provider);
      this.#absent.set(provider, provider === 'cuda' ? cause : `webgpu: ${cause}`);
      return undefined;
    }
  }
}

/** A CPU session with its input and output resolved, and how to wrap it as a model once its provider is decided. */
interface CpuContender {
  readonly session: InferenceSession;
  readonly io: ResolvedSessionIo;
  model(view: OnnxSessionView): OnnxNodeModel;
}

/** The hex SHA-256 of a model's bytes: the key of the runtime's cached choices. */
function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves a session's input and output, releasing it when that fails. */
async function resolveOrRelease(
  ort: OrtModule,
  session: InferenceSession,
  view: OnnxSessionView,
): Promise<ResolvedSessionIo> {
  try {
    return await resolveOnnxIo(ort, session, view);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

/** Wraps a session as a model, releasing it when wrapping fails. */
async function wrap(ort: OrtModule, session: InferenceSession, view: OnnxSessionView): Promise<OnnxNodeModel> {
  try {
    return await OnnxNodeModel.fromSession(ort, session, view);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

/**
 * The session config entry for {@link OnnxNodeRuntimeOptions.allowSpinning}, in the nested form onnxruntime-node
 * flattens into `session.intra_op.allow_spinning`.
 */
export function spinningEntry(allowSpinning: boolean): { session: { intra_op: { allow_spinning: '0' | '1' } } } {
  return { session: { intra_op: { allow_spinning: allowSpinning ? '1' : '0' } } };
}

function checkOptions(options: OnnxNodeRuntimeOptions): void {
  const provider = options.executionProvider;
  if (provider !== undefined && !PROVIDERS.includes(provider)) {
    throw new DissonanceError(
      'E_CONFIG',
      `executionProvider must be one of ${PROVIDERS.join(', ')}, got "${String(provider)}"`,
    );
  }
  for (const key of ['intraOpNumThreads', 'interOpNumThreads', 'cudaDeviceId', 'pairMaxBytes'] as const) {
    const value: unknown = options[key];
    if (key === 'intraOpNumThreads' && value === 'auto') continue;
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 0)) {
      const allowed = key === 'intraOpNumThreads' ? 'a non-negative integer or "auto"' : 'a non-negative integer';
      const got = typeof value === 'string' ? JSON.stringify(value) : String(value);
      throw new DissonanceError('E_CONFIG', `${key} must be ${allowed}, got ${got}`);
    }
  }
  for (const key of ['expectedBatch', 'benchmarkRuns'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new DissonanceError('E_CONFIG', `${key} must be a positive integer, got ${value}`);
    }
  }
  const budget = options.benchmarkBudgetMs;
  if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0)) {
    throw new DissonanceError('E_CONFIG', `benchmarkBudgetMs must be a non-negative number, got ${budget}`);
  }
  for (const key of ['exact', 'allowSpinning'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new DissonanceError('E_CONFIG', `${key} must be a boolean, got ${typeof value}`);
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
