import { DissonanceError, toDissonanceError } from '../errors.js';
import { chooseInput, chooseOutput, inputDims, type OnnxSessionInfo } from './onnx-session-io.js';
import { looksLikeProbabilities, softmaxRows } from './softmax-rows.js';

/** What a model's chosen output holds: probabilities are passed through, logits get a softmax. */
export type OutputKind = 'probabilities' | 'logits';

/** What the caller knows about a session before it is read (name and version label errors). */
export interface SessionIoView {
  readonly name: string;
  readonly version: string;
  /** Expected input width; checked against the model's declared width when both are known. */
  readonly inputWidth?: number;
  /** Expected class count; checked against the model's declared or observed width when both are known. */
  readonly classes?: number;
  /** Output to read (default: see {@link chooseOutput}). */
  readonly outputName?: string;
  /** `auto` (default) probes the model once with fixed rows: probabilities when every row sums to 1. */
  readonly outputs?: OutputKind | 'auto';
}

/** The input fed, the output read, and their sizes: what a runtime needs to run a session. */
export interface ResolvedSessionIo {
  readonly inputName: string;
  readonly outputName: string;
  /** Values per row: the product of {@link inputShape}. */
  readonly inputWidth: number;
  /**
   * The non-batch dims of the input as declared (`[C, H, W]` of `[N, C, H, W]`; `[inputWidth]` for a matrix):
   * `rows` row-major rows of `inputWidth` values are fed as a tensor of dims `[rows, ...inputShape]`.
   */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly outputKind: OutputKind;
}

/**
 * Runs `rows` rows of `x` through the session, feeding `input` as a float32 tensor of dims `dims`
 * (`[rows, ...inputShape]`), and returns output `output`'s raw data.
 */
export type ProbeRun = (
  x: Float32Array,
  rows: number,
  input: string,
  output: string,
  dims: readonly number[],
) => Promise<unknown>;

/** Rows run at load time when a model's output kind or class count must be observed. */
export const PROBE_ROWS = 4;

/**
 * Finds a session's input and output from its metadata; the width comes from the model (or `view.inputWidth`
 * when the model leaves it symbolic), and they must agree when both are known. An input `[N, C, H, W]` (any
 * rank ≥ 2 with a dynamic batch axis and declared dims) is fed from row-major rows of `C × H × W` values;
 * inputs that rows cannot feed are refused (see {@link chooseInput}). With `outputs: 'auto'` the
 * output kind is decided by a probe, not by reading the graph: {@link PROBE_ROWS} fixed rows (zeros, then
 * deterministic values in [-3, 3]) are run once, and the output is taken as probabilities when every value is
 * in [0, 1] and every row sums to 1 within 1e-4, else as logits. The same probe supplies the class count when
 * neither the model nor `view.classes` declares it. `E_MODEL` on any mismatch. Shared by the onnxruntime-node
 * and onnxruntime-web runtimes.
 */
export async function resolveSessionIo(
  session: OnnxSessionInfo,
  view: SessionIoView,
  probe: ProbeRun,
): Promise<ResolvedSessionIo> {
  const label = `${view.name}@${view.version}`;
  const input = chooseInput(session, label);
  const output = chooseOutput(session, label, view.outputName);
  const inputWidth = agree(label, 'input width', input.width, view.inputWidth);
  if (inputWidth === undefined) {
    throw new DissonanceError('E_MODEL', `${label}: the model does not declare its input width; pass inputWidth`);
  }
  const inputShape = input.shape ?? [inputWidth];
  let classes = agree(label, 'class count', output.classes, view.classes);
  let outputKind = view.outputs === 'auto' || view.outputs === undefined ? undefined : view.outputs;
  if (outputKind === undefined || classes === undefined) {
    const x = new Float32Array(PROBE_ROWS * inputWidth);
    for (let i = inputWidth; i < x.length; i++) x[i] = 3 * Math.sin(1.7 * i + 0.3);
    let data: unknown;
    try {
      data = await probe(x, PROBE_ROWS, input.name, output.name, inputDims(PROBE_ROWS, inputShape));
      if (!(data instanceof Float32Array)) throw new Error(`output "${output.name}" is not float32`);
    } catch (error) {
      throw toDissonanceError(error, 'E_MODEL', `${label}: probe run failed`);
    }
    const observed = data.length / PROBE_ROWS;
    classes = agree(label, 'class count', observed, classes);
    if (classes === undefined || !Number.isInteger(observed)) {
      throw new DissonanceError(
        'E_MODEL',
        `${label}: output "${output.name}" gave ${data.length} values for ${PROBE_ROWS} rows`,
      );
    }
    outputKind ??= looksLikeProbabilities(data, PROBE_ROWS, classes) ? 'probabilities' : 'logits';
  }
  if (classes < 2)
    throw new DissonanceError('E_MODEL', `${label}: output "${output.name}" has ${classes} class(es), need ≥ 2`);
  return { inputName: input.name, outputName: output.name, inputWidth, inputShape, classes, outputKind };
}

/**
 * Checks a run's output data (`rows × classes` float32 values, else `E_MODEL` naming what came back) and
 * returns probabilities: the data itself, or its row softmax (in place) when the output holds logits.
 */
export function readProbabilities(
  data: unknown,
  rows: number,
  io: ResolvedSessionIo,
  label: string,
  type?: string,
): Float32Array {
  const k = io.classes;
  if (!(data instanceof Float32Array) || data.length !== rows * k) {
    const got = data instanceof Float32Array ? `${data.length} values` : `type ${type ?? 'none'}`;
    throw new DissonanceError(
      'E_MODEL',
      `model ${label} output "${io.outputName}" has ${got}, expected ${rows} × ${k}`,
    );
  }
  return io.outputKind === 'logits' ? softmaxRows(data, rows, k) : data;
}

/**
 * Checks a `run(x, rows)` call of a model `inputWidth` wide: `rows` a non-negative integer and `x` a
 * `Float32Array` of exactly `rows × inputWidth` values, else `E_INPUT` naming the model.
 */
export function checkRunInput(x: Float32Array, rows: number, inputWidth: number, name: string): void {
  if (!Number.isInteger(rows) || rows < 0) {
    throw new DissonanceError('E_INPUT', `${name}: rows must be a non-negative integer, got ${rows}`);
  }
  if (!(x instanceof Float32Array) || x.length !== rows * inputWidth) {
    const got = x instanceof Float32Array ? `${x.length} values` : 'not a Float32Array';
    throw new DissonanceError(
      'E_INPUT',
      `${name}: x has ${got}, expected ${rows} rows × ${inputWidth} = ${rows * inputWidth}`,
      {
        details: { rows, inputWidth },
      },
    );
  }
}

function agree(
  label: string,
  what: string,
  declared: number | undefined,
  expected: number | undefined,
): number | undefined {
  if (declared !== undefined && expected !== undefined && declared !== expected) {
    throw new DissonanceError('E_MODEL', `${label}: the model's ${what} is ${declared}, expected ${expected}`, {
      details: { declared, expected },
    });
  }
  return declared ?? expected;
}
