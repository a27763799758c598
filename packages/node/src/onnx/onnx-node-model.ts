import {
  DissonanceError,
  toDissonanceError,
  type LoadedModel,
  type ModelArtifact,
  type PairedModels,
} from '@dissonance/core';
import {
  checkRunInput,
  inputDims,
  pairOnnxGraphs,
  readProbabilities,
  resolveSessionIo,
  type OutputKind,
  type ResolvedSessionIo,
  type SessionIoView,
} from '@dissonance/core/adapter-kit';
import type { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProvider } from './execution-provider.js';
import { OnnxPairedRun } from './onnx-paired-run.js';
import { SessionRuns } from './session-runs.js';
import type { OrtModule } from './ort-module.js';
import type { ProviderBenchmark } from './provider-choice.js';

/** What a model's chosen output holds: probabilities are passed through, logits get a softmax. */
export type { OutputKind } from '@dissonance/core/adapter-kit';

/** How to read a session: everything {@link OnnxNodeModel.fromSession} needs besides the session. */
export interface OnnxSessionView extends SessionIoView {
  readonly artifact?: ModelArtifact;
  readonly provider: ExecutionProvider;
  /** Why this provider (default `<provider>`). */
  readonly providerReason?: string;
  /** What an `auto` load measured to choose the provider. */
  readonly benchmark?: ProviderBenchmark;
  /** Intra-op threads of the session (undefined: onnxruntime's default). */
  readonly intraOpNumThreads?: number | undefined;
  /** How to open a session for this model paired with another (no pairing without it). */
  readonly pairing?: OnnxPairing;
}

/** How a runtime opens one session for two of its models' graphs (see {@link OnnxNodeModel.pairWith}). */
export interface OnnxPairing {
  /** Largest combined size, in bytes, of two ONNX files that are paired (larger models gain nothing from it). */
  readonly maxBytes: number;
  /** Opens a session on `provider` with the runtime's session options, on the CPU with `threads` intra-op threads. */
  open(bytes: Uint8Array, provider: ExecutionProvider, threads?: number): Promise<InferenceSession>;
}

/** Rows run through a new pair and through its two models, whose outputs must agree before the pair is used. */
const PAIR_PROBE_ROWS = 8;

/**
 * An ONNX model in an onnxruntime-node session: a {@link LoadedModel}. `run(x, rows)` feeds `x` as a
 * float32 tensor of dims `[rows, ...inputShape]` without copying it (`[rows, inputWidth]` for a matrix input,
 * `[rows, C, H, W]` for an image input: each row holds `C × H × W` values, row-major), reads the chosen output, and applies a row softmax
 * when the output holds logits. Concurrent runs are allowed (onnxruntime runs them one by one); `dispose()`
 * waits for runs in flight, then releases the session. Create it with {@link OnnxNodeRuntime}.
 */
export class OnnxNodeModel implements LoadedModel {
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
  /** The execution provider the session was created for. */
  readonly provider: ExecutionProvider;
  /** Why this model runs on {@link provider}: requested, probed, or measured (`auto`, with the figures). */
  readonly providerReason: string;
  /** With `auto` and more than one provider present: the timings that chose {@link provider}. */
  readonly benchmark: ProviderBenchmark | undefined;
  /**
   * Intra-op threads of the session: the runtime's `intraOpNumThreads`, or on the CPU with `'auto'` the count
   * chosen by measurement (its figures are in {@link providerReason}); undefined: onnxruntime's default.
   */
  readonly intraOpNumThreads: number | undefined;
  readonly #ort: OrtModule;
  readonly #session: InferenceSession;
  readonly #fetches: readonly string[];
  readonly #io: ResolvedSessionIo;
  readonly #pairing: OnnxPairing | undefined;
  readonly #pairs = new Set<OnnxPairedRun>();
  readonly #runs = new SessionRuns();

  private constructor(ort: OrtModule, session: InferenceSession, view: OnnxSessionView, io: ResolvedSessionIo) {
    this.#ort = ort;
    this.#session = session;
    this.name = view.name;
    this.version = view.version;
    this.artifact = view.artifact;
    this.provider = view.provider;
    this.providerReason = view.providerReason ?? view.provider;
    this.benchmark = view.benchmark;
    this.intraOpNumThreads = view.intraOpNumThreads;
    this.inputName = io.inputName;
    this.outputName = io.outputName;
    this.inputWidth = io.inputWidth;
    this.inputShape = io.inputShape;
    this.classes = io.classes;
    this.outputKind = io.outputKind;
    this.#fetches = [io.outputName];
    this.#io = io;
    this.#pairing = view.pairing;
  }

  /**
   * Wraps an open session. Input and output are found from the session's metadata; the width comes from the
   * model (or `view.inputWidth` when the model leaves it symbolic), and they must agree when both are known.
   * With `outputs: 'auto'` (default) the output kind is decided by a probe, not by reading the graph: a few
   * fixed rows (zeros and deterministic values in [-3, 3]) are run once, and the output is taken as
   * probabilities when every value is in [0, 1] and every row sums to 1 within 1e-4, else as logits. The same
   * probe supplies the class count when neither the model nor `view.classes` declares it. `E_MODEL` on any
   * mismatch; the session is left open (the caller releases it).
   */
  static async fromSession(ort: OrtModule, session: InferenceSession, view: OnnxSessionView): Promise<OnnxNodeModel> {
    return new OnnxNodeModel(ort, session, view, await resolveOnnxIo(ort, session, view));
  }

  /** Wraps a session whose input and output were already resolved (by {@link resolveOnnxIo} on the same model). */
  static fromResolved(
    ort: OrtModule,
    session: InferenceSession,
    view: OnnxSessionView,
    io: ResolvedSessionIo,
  ): OnnxNodeModel {
    return new OnnxNodeModel(ort, session, view, io);
  }

  /** Runs `rows` rows of `x` (exactly `rows × inputWidth` values, else `E_INPUT`); session errors → `E_MODEL`. */
  async run(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.#runs.closed) throw new DissonanceError('E_MODEL', `model ${this.name}@${this.version} is disposed`);
    const width = this.inputWidth;
    checkRunInput(x, rows, width, this.name);
    if (rows === 0) return new Float32Array(0);
    this.#runs.enter();
    try {
      // A fresh dims array per call: the tensor keeps it and the session reads it on a later tick.
      const feeds = { [this.inputName]: new this.#ort.Tensor('float32', x, inputDims(rows, this.inputShape)) };
      let result: InferenceSession.ReturnType;
      try {
        result = await this.#session.run(feeds, this.#fetches);
      } catch (error) {
        throw toDissonanceError(error, 'E_MODEL', `model ${this.name}@${this.version} failed on ${rows} rows`);
      }
      return this.#read(result, rows);
    } finally {
      this.#runs.exit();
    }
  }

  /**
   * This model and `other` in one onnxruntime session: both graphs side by side, reading one input
   * ({@link pairOnnxGraphs}), so one `run` pays onnxruntime's per-call cost once (measured on 2 cores: 1.04–1.28×
   * two sessions' rate at 64 to 1,024 rows; docs/benchmarks.md). The engine uses it for its champion and its one
   * critic. Resolves `undefined` unless `other` is an `OnnxNodeModel` of the same runtime, on the same provider,
   * with the same input shape, both loaded from bytes whose combined size is within the runtime's
   * `pairMaxBytes`. Rejects with `E_MODEL` when the graphs cannot be merged, or when the pair's outputs differ
   * from the two models' on a few probe rows. The pair is disposed with this model, or earlier by its own
   * `dispose()`.
   */
  async pairWith(other: LoadedModel): Promise<PairedModels | undefined> {
    const pairing = this.#pairing;
    if (
      !(other instanceof OnnxNodeModel) ||
      other === this ||
      pairing === undefined ||
      other.#pairing !== pairing ||
      other.provider !== this.provider ||
      this.#runs.closed ||
      other.#runs.closed ||
      this.artifact?.format !== 'onnx' ||
      other.artifact?.format !== 'onnx' ||
      this.artifact.bytes.length + other.artifact.bytes.length > pairing.maxBytes ||
      this.inputShape.length !== other.inputShape.length ||
      this.inputShape.some((d, i) => d !== other.inputShape[i])
    ) {
      return undefined;
    }
    const merged = pairOnnxGraphs(this.artifact.bytes, other.artifact.bytes);
    const label = `${this.name}@${this.version} + ${other.name}@${other.version}`;
    let session: InferenceSession;
    try {
      session = await pairing.open(merged.bytes, this.provider, this.intraOpNumThreads);
    } catch (error) {
      throw toDissonanceError(error, 'E_MODEL', `cannot open a session for ${label}`);
    }
    const pair = new OnnxPairedRun(
      this.#ort,
      session,
      { name: merged.input, shape: this.inputShape, width: this.inputWidth },
      [
        { label: `${this.name}@${this.version}`, output: this.outputName, io: this.#io },
        { label: `${other.name}@${other.version}`, output: merged.secondName(other.outputName), io: other.#io },
      ],
    );
    try {
      await checkPair(pair, this, other, this.provider === 'cpu' ? 1e-6 : 1e-4);
    } catch (error) {
      await pair.dispose().catch(() => undefined);
      throw toDissonanceError(error, 'E_MODEL', `${label}: the paired session fails its probe`);
    }
    if (this.#runs.closed) {
      await pair.dispose();
      return undefined;
    }
    this.#pairs.add(pair);
    return pair;
  }

  /** Waits for runs in flight, then releases the session and its pairs. Later runs reject with `E_MODEL`. Safe twice. */
  dispose(): Promise<void> {
    return this.#runs.close(async () => {
      await Promise.all([...this.#pairs].map((pair) => pair.dispose()));
      await this.#session.release();
    });
  }

  #read(result: InferenceSession.ReturnType, rows: number): Float32Array {
    const out = result[this.outputName];
    return readProbabilities(out?.data, rows, this, `${this.name}@${this.version}`, out?.type);
  }
}

/** Rejects unless the pair's outputs are within `tolerance` of the two models' own on a few fixed rows. */
async function checkPair(
  pair: PairedModels,
  first: LoadedModel,
  second: LoadedModel,
  tolerance: number,
): Promise<void> {
  const rows = PAIR_PROBE_ROWS;
  const x = new Float32Array(rows * first.inputWidth);
  for (let i = 0; i < x.length; i++) x[i] = 3 * Math.sin(0.61 * i + 0.3);
  const [paired, alone] = await Promise.all([
    pair.run(x, rows),
    Promise.all([first.run(x, rows), second.run(x, rows)]),
  ]);
  for (let side = 0; side < 2; side++) {
    const a = paired[side]!;
    const b = alone[side]!;
    for (let i = 0; i < a.length; i++) {
      if (!(Math.abs(a[i]! - b[i]!) <= tolerance)) {
        throw new DissonanceError(
          'E_MODEL',
          `output ${side === 0 ? 'one' : 'two'} differs by ${Math.abs(a[i]! - b[i]!)} at value ${i}`,
        );
      }
    }
  }
}

/** Resolves a session's input, output, widths and output kind as {@link OnnxNodeModel.fromSession} does. */
export function resolveOnnxIo(
  ort: OrtModule,
  session: InferenceSession,
  view: SessionIoView,
): Promise<ResolvedSessionIo> {
  return resolveSessionIo(session, view, async (x, _rows, input, output, dims) => {
    const result = await session.run({ [input]: new ort.Tensor('float32', x, [...dims]) }, [output]);
    return result[output]?.data;
  });
}
