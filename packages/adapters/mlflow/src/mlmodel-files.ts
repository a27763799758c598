import { decodeOnnxModel, type ModelProto } from '@dissonance/core/mlp';

/**
 * Python packages an MLflow-served copy of a registered model needs, pinned as the project's Python
 * cross-checks pin them (`scripts/python/requirements.txt`): written to `requirements.txt`, `python_env.yaml`
 * and `conda.yaml` next to each `MLmodel`.
 */
export const MLMODEL_REQUIREMENTS: readonly string[] = Object.freeze([
  'mlflow==3.17.2',
  'numpy==2.3.5',
  'onnx==1.19.1',
  'onnxruntime==1.30.0',
]);
/** Python version written to `python_env.yaml` and `conda.yaml`. */
export const MLMODEL_PYTHON = '3.11';
/** MLflow version recorded as `mlflow_version` in the `MLmodel` files this adapter writes. */
export const MLMODEL_MLFLOW_VERSION = '3.17.2';
/** ONNX version recorded in the `onnx` flavor. */
const ONNX_VERSION = '1.19.1';

/** One tensor of an MLflow model signature (`tensor-spec`). */
export interface TensorSpec {
  readonly name: string;
  /** numpy dtype name: `float32`, `int64`… */
  readonly dtype: string;
  /** `-1` for a variable dimension. */
  readonly shape: readonly number[];
}

/** What the `MLmodel` of a registered version describes. */
export interface MlmodelFacts {
  /** File name of the ONNX model inside the model folder (`model.onnx`). */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly inputWidth: number;
  readonly classes: number;
  readonly sha256: string;
  readonly runId: string;
  /** `utc_time_created`, ISO 8601. */
  readonly createdAt: string;
}

/** The files of an MLflow Model folder (paths relative to it), `MLmodel` included. */
export function mlmodelFiles(facts: MlmodelFacts): ReadonlyArray<{ readonly path: string; readonly text: string }> {
  const { inputs, outputs } = onnxSignature(facts.bytes, facts.inputWidth, facts.classes);
  const row = new Array<string>(facts.inputWidth).fill('0.0').join(', ');
  const requirements = `${MLMODEL_REQUIREMENTS.join('\n')}\n`;
  const pythonEnv = [
    `python: ${yamlString(MLMODEL_PYTHON)}`,
    'build_dependencies:',
    '- pip',
    '- setuptools',
    '- wheel',
    'dependencies:',
    '- -r requirements.txt',
    '',
  ].join('\n');
  const conda = [
    'channels:',
    '- conda-forge',
    'dependencies:',
    `- python=${MLMODEL_PYTHON}`,
    '- pip',
    '- pip:',
    ...MLMODEL_REQUIREMENTS.map((r) => `  - ${r}`),
    'name: mlflow-env',
    '',
  ].join('\n');
  const mlmodel = [
    'artifact_path: model',
    'flavors:',
    '  onnx:',
    '    code: null',
    `    data: ${facts.file}`,
    '    onnx_session_options: null',
    `    onnx_version: ${ONNX_VERSION}`,
    '    providers:',
    '    - CPUExecutionProvider',
    '  python_function:',
    `    data: ${facts.file}`,
    '    env:',
    '      conda: conda.yaml',
    '      virtualenv: python_env.yaml',
    '    loader_module: mlflow.onnx',
    `    python_version: ${yamlString(MLMODEL_PYTHON)}`,
    'metadata:',
    `  dissonance.sha256: ${yamlString(facts.sha256)}`,
    '  producer: "@dissonance/adapter-mlflow"',
    `mlflow_version: ${MLMODEL_MLFLOW_VERSION}`,
    `model_size_bytes: ${facts.bytes.byteLength}`,
    `model_uuid: ${yamlString(randomHex(16))}`,
    `run_id: ${yamlString(facts.runId)}`,
    'saved_input_example_info:',
    '  artifact_path: input_example.json',
    '  serving_input_path: serving_input_example.json',
    '  type: ndarray',
    'signature:',
    `  inputs: ${yamlString(JSON.stringify(inputs.map(specJson)))}`,
    `  outputs: ${yamlString(JSON.stringify(outputs.map(specJson)))}`,
    '  params: null',
    `utc_time_created: ${yamlString(facts.createdAt.replace('T', ' ').replace('Z', ''))}`,
    '',
  ].join('\n');
  return [
    { path: 'MLmodel', text: mlmodel },
    { path: 'requirements.txt', text: requirements },
    { path: 'python_env.yaml', text: pythonEnv },
    { path: 'conda.yaml', text: conda },
    { path: 'input_example.json', text: `[[${row}]]\n` },
    { path: 'serving_input_example.json', text: `{"inputs": [[${row}]]}\n` },
  ];
}

/**
 * The signature of an ONNX model as MLflow records it: the feature input as `[-1, inputWidth]` float32 (named as
 * in the graph) and every tensor output of the graph (variable dimensions as -1; a `[-1, classes]` float32
 * `probabilities` output when the bytes do not decode as ONNX).
 */
export function onnxSignature(
  bytes: Uint8Array,
  inputWidth: number,
  classes: number,
): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  let model: ModelProto | undefined;
  try {
    model = decodeOnnxModel(bytes);
  } catch {
    model = undefined;
  }
  const graph = model?.graph;
  const initializers = new Set(graph?.initializer.map((t) => t.name) ?? []);
  const input = graph?.input.find((i) => !initializers.has(i.name));
  const outputs: TensorSpec[] = [];
  for (const output of graph?.output ?? []) {
    const tensor = output.type?.tensorType;
    const dtype = tensor === undefined ? undefined : DTYPES[tensor.elemType];
    if (tensor === undefined || dtype === undefined) continue;
    const shape = (tensor.shape ?? []).map((d) => (d.value !== undefined && d.value > 0 ? d.value : -1));
    outputs.push({
      name: output.name,
      dtype,
      shape: shape.length === 0 ? [-1] : shape.map((d, i) => (i === 0 ? -1 : d)),
    });
  }
  return {
    inputs: [{ name: input?.name ?? 'features', dtype: 'float32', shape: [-1, inputWidth] }],
    outputs: outputs.length > 0 ? outputs : [{ name: 'probabilities', dtype: 'float32', shape: [-1, classes] }],
  };
}

/** ONNX `TensorProto.DataType` → numpy dtype name. */
const DTYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

function specJson(spec: TensorSpec): Record<string, unknown> {
  return { name: spec.name, type: 'tensor', 'tensor-spec': { dtype: spec.dtype, shape: spec.shape } };
}

/** A YAML double-quoted scalar (JSON string syntax is valid YAML). */
function yamlString(text: string): string {
  return JSON.stringify(text);
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, '0')).join('');
}
