import { DissonanceError } from '../errors.js';

/** Output names chosen first, in order, when present as float tensors. */
export const PREFERRED_OUTPUT_NAMES: readonly string[] = ['probabilities', 'output_probability'];

/** The input a model is fed through and its width when the model declares it. */
export interface ChosenInput {
  readonly name: string;
  /** `shape[1]` when it is a number; undefined when symbolic or undeclared. */
  readonly width: number | undefined;
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

/** The model's only input, which must be a float32 tensor of rank 2 (`[N, width]`); else `E_MODEL`. */
export function chooseInput(session: Session, label: string): ChosenInput {
  if (session.inputMetadata.length !== 1) {
    throw new DissonanceError(
      'E_MODEL',
      `${label}: expected one input, the model has ${session.inputMetadata.length} (${session.inputNames.join(', ')})`,
    );
  }
  const input = session.inputMetadata[0]!;
  if (!isFloatMatrix(input)) {
    throw new DissonanceError(
      'E_MODEL',
      `${label}: input "${input.name}" must be a float32 tensor [N, width], it is ${describe(input)}`,
    );
  }
  return { name: input.name, width: secondDim(input) };
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

function secondDim(m: TensorInfo): number | undefined {
  const dim = m.shape[1];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

function describe(m: OnnxValueInfo): string {
  return m.isTensor ? `${m.type} [${m.shape.join(', ')}]` : 'not a tensor';
}
