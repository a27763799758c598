import { DissonanceError, toDissonanceError, type PairedModels } from '@dissonance/core';
import { checkRunInput, inputDims, readProbabilities, type ResolvedSessionIo } from '@dissonance/core/adapter-kit';
import type { InferenceSession } from 'onnxruntime-node';
import type { OrtModule } from './ort-module.js';
import { SessionRuns } from './session-runs.js';

/** One side of a pair: how to read its output from the paired session. */
export interface PairSide {
  /** `name@version`, for errors. */
  readonly label: string;
  /** The side's output name in the paired session. */
  readonly output: string;
  /** Classes, output kind and the output's own name (for errors). */
  readonly io: ResolvedSessionIo;
}

/**
 * Two {@link OnnxNodeModel}s' graphs in one onnxruntime-node session (see `OnnxNodeModel.pairWith`): one `run`
 * feeds the shared input once and reads both outputs, each as its own model would (softmax for logits).
 */
export class OnnxPairedRun implements PairedModels {
  readonly #ort: OrtModule;
  readonly #session: InferenceSession;
  readonly #input: string;
  readonly #inputShape: readonly number[];
  readonly #width: number;
  readonly #sides: readonly [PairSide, PairSide];
  readonly #fetches: readonly string[];
  readonly #label: string;
  readonly #runs = new SessionRuns();

  constructor(
    ort: OrtModule,
    session: InferenceSession,
    input: { readonly name: string; readonly shape: readonly number[]; readonly width: number },
    sides: readonly [PairSide, PairSide],
  ) {
    this.#ort = ort;
    this.#session = session;
    this.#input = input.name;
    this.#inputShape = input.shape;
    this.#width = input.width;
    this.#sides = sides;
    this.#fetches = sides.map((s) => s.output);
    this.#label = `${sides[0].label} + ${sides[1].label}`;
  }

  /** Runs both graphs on `rows` rows of `x` (exactly `rows × width` values, else `E_INPUT`); errors → `E_MODEL`. */
  async run(x: Float32Array, rows: number): Promise<readonly [Float32Array, Float32Array]> {
    if (this.#runs.closed) throw new DissonanceError('E_MODEL', `paired models ${this.#label} are disposed`);
    checkRunInput(x, rows, this.#width, this.#label);
    if (rows === 0) return [new Float32Array(0), new Float32Array(0)];
    this.#runs.enter();
    try {
      const feeds = { [this.#input]: new this.#ort.Tensor('float32', x, inputDims(rows, this.#inputShape)) };
      let result: InferenceSession.ReturnType;
      try {
        result = await this.#session.run(feeds, this.#fetches);
      } catch (error) {
        throw toDissonanceError(error, 'E_MODEL', `paired models ${this.#label} failed on ${rows} rows`);
      }
      const [a, b] = this.#sides;
      const outA = result[a.output];
      const outB = result[b.output];
      return [
        readProbabilities(outA?.data, rows, a.io, a.label, outA?.type),
        readProbabilities(outB?.data, rows, b.io, b.label, outB?.type),
      ];
    } finally {
      this.#runs.exit();
    }
  }

  /** Waits for runs in flight, then releases the paired session. Later runs reject with `E_MODEL`. Safe twice. */
  dispose(): Promise<void> {
    return this.#runs.close(() => this.#session.release());
  }
}
