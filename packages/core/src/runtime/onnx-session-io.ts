import { DissonanceError } from '../errors.js';

/** Output names chosen first, in order, when present as float tensors. */
export const PREFERRED_OUTPUT_NAMES: readonly string[] = ['probabilities', 'output_probability'];

/** The input a model is fed through, and the layout of one row when the model declares it. */
export interface ChosenInput {
  readonly name: string;
  /**
   * Values per row: the product of the non-batch dims (`C × H × W` of `[N, C, H, W]`, `width` of `[N, width]`);
   * undefined when a rank-2 input's width is symbolic, or the shape is undeclared.
   */
  readonly width: number | undefined;
  /** The declared non-batch dims (`[C, H, W]`, or `[width]`); undefined exactly when {@link width} is. */
  readonly shape: readonly number[] | undefined;
}

/** The output read from a model and its class count when the model declares it. */
export interface ChosenOutput {
  readonly name: string;
  /** `shape[1]` when it is a number; undefined when symbolic or undeclared. */
  readonly classes: number | undefined;
}

/**
 * What input/output choice reads of an onnxruntime session (node or web): the structural subset of
 * `InferenceSession` both packages' sessions satisfy, so the choice lives here once.
 */
export interface OnnxSessionInfo {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OnnxValueInfo[];
  readonly outputMetadata: readonly OnnxValueInfo[];
}

/** One input or output of an onnxruntime session: a tensor with its element type and shape, or not a tensor. */
export type OnnxValueInfo =
  | {
      readonly name: string;
      readonly isTensor: true;
      readonly type: string;
      readonly shape: readonly (number | string)[];
    }
  | { readonly name: string; readonly isTensor: false };

type TensorInfo = Extract<OnnxValueInfo, { isTensor: true }>;
type Session = OnnxSessionInfo;

/**
 * The model's only input, fed from row-major float32 rows: a float32 tensor `[N, ...dims]` whose batch axis
 * `N` is dynamic (symbolic or unknown) and whose other dims are declared numbers (a rank-2 `[N, width]` may
 * leave `width` symbolic: the caller then supplies it), or a float32 tensor of undeclared shape (`[N, width]`).
 * Anything that rows cannot feed is refused with `E_MODEL` naming the input and why, never cast: several
 * inputs, a non-tensor, another element type (int64 token ids…), rank below 2, a fixed batch size, or a
 * symbolic dim past the second axis.
 */
export function chooseInput(session: Session, label: string): ChosenInput {
  const inputs = session.inputMetadata;
  if (inputs.length !== 1) {
    const all = inputs.map((m) => `"${m.name}" ${describe(m)}`).join(', ');
    throw new DissonanceError(
      'E_MODEL',
      `${label}: the model has ${inputs.length} inputs (${all}); only a model with one float32 input can be fed rows`,
      { details: { inputs: inputs.map((m) => m.name) } },
    );
  }
  const input = inputs[0]!;
  const refuse = (why: string): never => {
    throw new DissonanceError('E_MODEL', `${label}: input "${input.name}" is ${describe(input)}: ${why}`, {
      details: { input: input.name },
    });
  };
  if (!input.isTensor) return refuse('rows feed a float32 tensor [N, ...dims]');
  if (input.type !== 'float32') {
    return refuse(`rows are float32 and are never cast; export the model with a float32 input [N, ...dims]`);
  }
  const dims = input.shape;
  if (dims.length === 0) return { name: input.name, width: undefined, shape: undefined };
  if (dims.length === 1) return refuse('it has no batch axis; export it as [N, ...dims]');
  if (isDeclared(dims[0])) {
    return refuse(`its batch size is fixed at ${dims[0]}; export it with a dynamic batch axis (N rows per run)`);
  }
  if (dims.length === 2) {
    const width = isDeclared(dims[1]) ? dims[1] : undefined;
    return { name: input.name, width, shape: width === undefined ? undefined : [width] };
  }
  const rest = dims.slice(1);
  const axis = rest.findIndex((dim) => !isDeclared(dim));
  if (axis >= 0) {
    return refuse(
      `axis ${axis + 1} is ${typeof rest[axis] === 'string' ? JSON.stringify(rest[axis]) : 'unknown'}, not a number; every dim but the batch axis must be declared to lay out a row`,
    );
  }
  const shape = rest as number[];
  return { name: input.name, width: shape.reduce((a, b) => a * b, 1), shape };
}

/** `[rows, ...shape]`: the dims of the tensor that feeds `rows` rows laid out as `shape` (a fresh array). */
export function inputDims(rows: number, shape: readonly number[]): number[] {
  return [rows, ...shape];
}

/**
 * The output to read: `outputName` when given (it must exist and be a float32 tensor), else the first of
 * {@link PREFERRED_OUTPUT_NAMES} that is a float32 tensor, else the first float32 tensor of rank 2. `E_MODEL`
 * when there is none (a scikit-learn export with a ZipMap gives maps: convert it with `zipmap=False`).
 */
export function chooseOutput(session: Session, label: string, outputName?: string): ChosenOutput {
  const outputs = session.outputMetadata;
  if (outputName !== undefined) {
    const named = outputs.find((m) => m.name === outputName);
    if (named === undefined) {
      throw new DissonanceError(
        'E_MODEL',
        `${label}: no output named "${outputName}" (outputs: ${session.outputNames.join(', ')})`,
      );
    }
    if (!isFloatTensor(named)) {
      throw new DissonanceError(
        'E_MODEL',
        `${label}: output "${outputName}" must be a float32 tensor, it is ${describe(named)}`,
      );
    }
    return { name: named.name, classes: secondDim(named) };
  }
  const floats = outputs.filter(isFloatTensor);
  const chosen =
    PREFERRED_OUTPUT_NAMES.map((name) => floats.find((m) => m.name === name)).find((m) => m !== undefined) ??
    floats.find(isFloatMatrix);
  if (chosen === undefined) {
    const all = outputs.map((m) => `"${m.name}" ${describe(m)}`).join(', ');
    throw new DissonanceError(
      'E_MODEL',
      `${label}: no float32 [N, classes] output among ${all} (a scikit-learn ZipMap output? export with zipmap=False)`,
    );
  }
  return { name: chosen.name, classes: secondDim(chosen) };
}

function isFloatTensor(m: OnnxValueInfo): m is TensorInfo {
  return m.isTensor && m.type === 'float32';
}

/** A float32 tensor of rank 2, or of undeclared shape. */
function isFloatMatrix(m: OnnxValueInfo): m is TensorInfo {
  return isFloatTensor(m) && (m.shape.length === 2 || m.shape.length === 0);
}

/**
 * A declared dim: a positive integer below 2³¹. onnxruntime-node reports an unknown dim as `""` or its symbol;
 * onnxruntime-web reports it as 4294967295 (-1 read as uint32), and other builds as -1.
 */
function isDeclared(dim: number | string | undefined): dim is number {
  return typeof dim === 'number' && Number.isInteger(dim) && dim > 0 && dim < 2 ** 31;
}

function secondDim(m: TensorInfo): number | undefined {
  const dim = m.shape[1];
  return isDeclared(dim) ? dim : undefined;
}

function describe(m: OnnxValueInfo): string {
  return m.isTensor ? `${m.type} [${m.shape.join(', ')}]` : 'not a tensor';
}
