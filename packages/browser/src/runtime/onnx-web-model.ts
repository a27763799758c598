import { DissonanceError, toDissonanceError, type LoadedModel, type ModelArtifact } from '@dissonance/core';
import {
  checkRunInput,
  inputDims,
  readProbabilities,
  resolveSessionIo,
  type OutputKind,
  type ResolvedSessionIo,
  type SessionIoView,
} from '@dissonance/core/adapter-kit';
import type { InferenceSession } from 'onnxruntime-web';
import type { OrtWebModule } from './ort-web.js';
import { serializeRun } from './run-queue.js';
import type { ProviderBenchmark, WebExecutionProvider } from './web-execution-provider.js';

/** What a model's chosen output holds: probabilities are passed through, logits get a softmax. */
export type { OutputKind } from '@dissonance/core/adapter-kit';

/** How to read a session: everything {@link OnnxWebModel.fromSession} needs besides the session. */
export interface OnnxWebSessionView extends SessionIoView {
  readonly artifact?: ModelArtifact;
  readonly provider: WebExecutionProvider;
  /** Why this provider (e.g. `webgpu: adapter google swiftshader (software)`). */
  readonly providerReason: string;
  readonly benchmark?: ProviderBenchmark;
}

/**
 * An ONNX model in an onnxruntime-web session (WebGPU or wasm): a {@link LoadedModel}. `run(x, rows)` feeds
 * `x` as a float32 tensor of dims `[rows, ...inputShape]` (`[rows, C, H, W]` for an image input, rows
 * row-major), reads the chosen output (copied back to the CPU), and applies
 * a row softmax when the output holds logits. Concurrent runs are queued (onnxruntime-web runs one session
 * at a time per page); `dispose()` waits for this model's queued runs, then releases the session. Create it with `OnnxWebRuntime`.
 */
export class OnnxWebModel implements LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly inputWidth: number;
  readonly classes: number;
  readonly artifact: ModelArtifact | undefined;
  /** Name of the graph input fed. */
  readonly inputName: string;
  /** The input's declared non-batch dims (`[C, H, W]`, or `[inputWidth]`); their product is `inputWidth`. */
  readonly inputShape: readonly number[];
  /** Name of the graph output read. */
  readonly outputName: string;
  /** Whether the output held probabilities or logits (then a softmax is applied). */
  readonly outputKind: OutputKind;
  /** The execution provider the session runs on. */
  readonly provider: WebExecutionProvider;
  /** Why that provider was chosen. */
  readonly providerReason: string;
  /** The timings that chose the provider, with `select: 'benchmark'`. */
  readonly benchmark: ProviderBenchmark | undefined;
  readonly #ort: OrtWebModule;
  readonly #session: InferenceSession;
  readonly #fetches: readonly string[];
  #queue: Promise<unknown> = Promise.resolve();
  #disposed: Promise<void> | undefined;

  private constructor(ort: OrtWebModule, session: InferenceSession, view: OnnxWebSessionView, io: ResolvedSessionIo) {
    this.#ort = ort;
    this.#session = session;
    this.name = view.name;
    this.version = view.version;
    this.artifact = view.artifact;
    this.provider = view.provider;
    this.providerReason = view.providerReason;
    this.benchmark = view.benchmark;
    this.inputName = io.inputName;
    this.outputName = io.outputName;
    this.inputWidth = io.inputWidth;
    this.inputShape = io.inputShape;
    this.classes = io.classes;
    this.outputKind = io.outputKind;
    this.#fetches = [io.outputName];
  }

  /**
   * Wraps an open session. Input and output are found from the session's metadata; the width comes from the
   * model (or `view.inputWidth` when the model leaves it symbolic), and they must agree when both are known.
   * With `outputs: 'auto'` a few fixed rows are run once: the output is probabilities when every value is in
   * [0, 1] and every row sums to 1 within 1e-4, else logits. `E_MODEL` on any mismatch; the session is left
   * open (the caller releases it).
   */
  static async fromSession(
    ort: OrtWebModule,
    session: InferenceSession,
    view: OnnxWebSessionView,
  ): Promise<OnnxWebModel> {
    const io = await resolveSessionIo(session, view, async (x, _rows, input, output, dims) => {
      const result = await serializeRun(() =>
        session.run({ [input]: new ort.Tensor('float32', x, [...dims]) }, [output]),
      );
      return result[output]?.data;
    });
    return new OnnxWebModel(ort, session, view, io);
  }

  /** Runs `rows` rows of `x` (exactly `rows × inputWidth` values, else `E_INPUT`); session errors → `E_MODEL`. */
  run(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.#disposed !== undefined)
      return Promise.reject(new DissonanceError('E_MODEL', `model ${this.name}@${this.version} is disposed`));
    try {
      checkRunInput(x, rows, this.inputWidth, this.name);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (rows === 0) return Promise.resolve(new Float32Array(0));
    const result = serializeRun(() => this.#runNow(x, rows));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Waits for queued runs, then releases the session. Later runs reject with `E_MODEL`. Safe twice. */
  dispose(): Promise<void> {
    this.#disposed ??= this.#queue.then(() => this.#session.release());
    return this.#disposed;
  }

  async #runNow(x: Float32Array, rows: number): Promise<Float32Array> {
    const feeds = { [this.inputName]: new this.#ort.Tensor('float32', x, inputDims(rows, this.inputShape)) };
    let result: InferenceSession.ReturnType;
    try {
      result = await this.#session.run(feeds, this.#fetches);
    } catch (error) {
      throw toDissonanceError(error, 'E_MODEL', `model ${this.name}@${this.version} failed on ${rows} rows`);
    }
    const out = result[this.outputName];
    return readProbabilities(out?.data, rows, this, `${this.name}@${this.version}`, out?.type);
  }
}
