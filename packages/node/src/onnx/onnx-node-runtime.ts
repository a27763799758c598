import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DissonanceError, errorText, type ModelArtifact, type ModelInfo, type ModelRuntime } from '@dissonance/core';
import type { InferenceSession } from 'onnxruntime-node';
import { probeCuda, type CudaProbe, type ExecutionProvider, type ExecutionProviderOption } from './execution-provider.js';
import { OnnxNodeModel, type OutputKind } from './onnx-node-model.js';
import { loadOrt, type OrtModule } from './ort-module.js';

/** Options of {@link OnnxNodeRuntime}. */
export interface OnnxNodeRuntimeOptions {
  /**
   * `auto` (default): CUDA when {@link probeCuda} finds its libraries and a CUDA session can be created, else
   * the CPU (see `providerReason`). `cuda`: CUDA or `E_ACCELERATOR_UNAVAILABLE`. `cpu`: the CPU.
   */
  readonly executionProvider?: ExecutionProviderOption;
  /** Threads one operator may use (default: onnxruntime's, one per physical core). */
  readonly intraOpNumThreads?: number;
  /** Threads across operators (default: onnxruntime's). */
  readonly interOpNumThreads?: number;
  /** CUDA device ordinal (default 0). */
  readonly cudaDeviceId?: number;
  /** What the output holds; `auto` (default) probes each model once (see {@link OnnxNodeModel.fromSession}). */
  readonly outputs?: OutputKind | 'auto';
  /** Output to read, overriding the choice by name (`probabilities`, `output_probability`, else the first float [N, k]). */
  readonly outputName?: string;
  /** Replaces {@link probeCuda} (for tests and diagnostics). */
  readonly probeCuda?: () => CudaProbe;
}

/** Facts about a model to load from bytes or a file; missing ones are read from the model itself. */
export type PartialModelInfo = Partial<ModelInfo>;

const PROVIDERS: readonly ExecutionProviderOption[] = ['auto', 'cpu', 'cuda'];

/**
 * Loads ONNX models into onnxruntime-node sessions (graph optimization `all`, sequential execution) on the
 * CPU or on CUDA. `name` is `onnxruntime-node/<provider>`; `chosenProvider` and `providerReason` say which
 * provider new sessions use and why. With `auto`, a CUDA session that cannot be created makes this runtime
 * fall back to the CPU for good (the reason names the error). Construction with `cuda` throws
 * `E_ACCELERATOR_UNAVAILABLE` naming the missing file when the CUDA libraries are not there.
 */
export class OnnxNodeRuntime implements ModelRuntime {
  readonly #options: OnnxNodeRuntimeOptions;
  readonly #requested: ExecutionProviderOption;
  #provider: ExecutionProvider;
  #reason: string;

  constructor(options: OnnxNodeRuntimeOptions = {}) {
    checkOptions(options);
    this.#options = options;
    this.#requested = options.executionProvider ?? 'auto';
    if (this.#requested === 'cpu') {
      this.#provider = 'cpu';
      this.#reason = 'cpu: requested';
      return;
    }
    const probe = (options.probeCuda ?? probeCuda)();
    if (probe.available) {
      this.#provider = 'cuda';
      this.#reason = `cuda: ${probe.reason}`;
    } else if (this.#requested === 'cuda') {
      throw new DissonanceError('E_ACCELERATOR_UNAVAILABLE', `CUDA execution provider unavailable: ${probe.reason}`, {
        details: { missing: probe.missing, bindingDir: probe.bindingDir ?? null },
      });
    } else {
      this.#provider = 'cpu';
      this.#reason = `cpu: ${probe.reason}`;
    }
  }

  /** `onnxruntime-node/cpu` or `onnxruntime-node/cuda`. */
  get name(): string {
    return `onnxruntime-node/${this.#provider}`;
  }

  /** The provider new sessions are created for. */
  get chosenProvider(): ExecutionProvider {
    return this.#provider;
  }

  /** Why: e.g. `cpu: libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so not found in …`. */
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
      throw new DissonanceError('E_MODEL', `cannot read model file ${path}: ${(error as Error).message}`, { cause: error });
    }
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    return this.#open({ format: 'onnx', bytes }, { name: basename(path, extname(path)), ...info });
  }

  async #open(artifact: ModelArtifact, info: PartialModelInfo): Promise<OnnxNodeModel> {
    const name = info.name ?? 'onnx-model';
    const version = info.version ?? '0';
    const ort = await loadOrt();
    const { session, provider } = await this.#createSession(ort, artifact.bytes, `${name}@${version}`);
    try {
      return await OnnxNodeModel.fromSession(ort, session, {
        name,
        version,
        inputWidth: info.inputWidth,
        classes: info.classes,
        outputName: this.#options.outputName,
        outputs: this.#options.outputs,
        artifact,
        provider,
      });
    } catch (error) {
      await session.release().catch(() => undefined);
      throw error;
    }
  }

  async #createSession(
    ort: OrtModule,
    bytes: Uint8Array,
    label: string,
  ): Promise<{ session: InferenceSession; provider: ExecutionProvider }> {
    const { intraOpNumThreads, interOpNumThreads, cudaDeviceId } = this.#options;
    const base: InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      ...(intraOpNumThreads === undefined ? {} : { intraOpNumThreads }),
      ...(interOpNumThreads === undefined ? {} : { interOpNumThreads }),
    };
    const cpu = async (): Promise<InferenceSession> => {
      try {
        return await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
      } catch (error) {
        throw new DissonanceError('E_MODEL', `${label}: not a usable ONNX model: ${errorText(error)}`, { cause: error });
      }
    };
    if (this.#provider === 'cpu') return { session: await cpu(), provider: 'cpu' };
    try {
      const providers = [{ name: 'cuda', deviceId: cudaDeviceId ?? 0 }, 'cpu'];
      return { session: await ort.InferenceSession.create(bytes, { ...base, executionProviders: providers }), provider: 'cuda' };
    } catch (cudaError) {
      // The model itself may be the problem: only blame CUDA when the CPU can load it.
      const session = await cpu();
      if (this.#requested === 'cuda') {
        await session.release().catch(() => undefined);
        throw new DissonanceError('E_ACCELERATOR_UNAVAILABLE', `${label}: CUDA session could not be created: ${errorText(cudaError)}`, {
          cause: cudaError,
        });
      }
      this.#provider = 'cpu';
      this.#reason = `cpu: CUDA session could not be created: ${errorText(cudaError)}`;
      return { session, provider: 'cpu' };
    }
  }
}


function checkOptions(options: OnnxNodeRuntimeOptions): void {
  const provider = options.executionProvider;
  if (provider !== undefined && !PROVIDERS.includes(provider)) {
    throw new DissonanceError('E_CONFIG', `executionProvider must be one of ${PROVIDERS.join(', ')}, got "${String(provider)}"`);
  }
  for (const key of ['intraOpNumThreads', 'interOpNumThreads', 'cudaDeviceId'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new DissonanceError('E_CONFIG', `${key} must be a non-negative integer, got ${value}`);
    }
  }
  const outputs = options.outputs;
  if (outputs !== undefined && outputs !== 'auto' && outputs !== 'probabilities' && outputs !== 'logits') {
    throw new DissonanceError('E_CONFIG', `outputs must be "auto", "probabilities" or "logits", got "${String(outputs)}"`);
  }
}
