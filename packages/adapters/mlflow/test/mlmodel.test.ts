import type { DissonanceError, ModelVersion } from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { describe, expect, it } from 'vitest';
import { decodeVersionTags, describeVersion, encodeVersionTags, onnxSignature, readMlflowModel } from '../src/index.js';
import { mlmodelFiles } from '../src/mlmodel-files.js';
import { readMlmodelYaml } from '../src/mlmodel-yaml.js';

/** An MLmodel exactly as mlflow.onnx.save_model (MLflow 3.17.2) writes it: PyYAML folds the long signature line. */
const PYTHON_MLMODEL = `flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_session_options: null
    onnx_version: 1.19.1
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 382
saved_input_example_info:
  artifact_path: input_example.json
  type: ndarray
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'
  outputs: '[{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, {"name": "probabilities", "type": "tensor", "tensor-spec": {"dtype":
    "float32", "shape": [-1, 3]}}]'
  params: null
utc_time_created: '2026-12-04 14:40:57.232420'
`;

const manifest = (over: Partial<ModelVersion> = {}): Omit<ModelVersion, 'name' | 'version'> => ({
  format: 'onnx',
  sha256: 'ab'.repeat(32),
  size: 123,
  inputWidth: 4,
  classes: 3,
  createdAt: '2026-12-04T10:00:00.000Z',
  metrics: { golden_accuracy: 0.9125, kl: 0.0153, loss: 0.25 },
  params: {
    lr: 0.01,
    epochs: 3,
    warm: true,
    optimizer: 'adam',
    looksNumeric: '3',
    looksBool: 'true',
    quoted: '"x"',
    empty: '',
  },
  tags: {
    decision: 'accepted',
    reason: 'up',
    'dissonance.signature': 'c2ln',
    'dissonance.signature.keyId': 'k1',
    stage: 'test',
    'odd key?': 'kept',
  },
  lineage: { parent: '3', examples: 64, dissonanceMean: 0.125, traceId: '0af7651916cd43dd8448eb211c80319c' },
  ...over,
});

const asList = (tags: Record<string, string>): { key: string; value: string }[] =>
  Object.entries(tags).map(([key, value]) => ({ key, value }));

describe('one model-version tag per fact', () => {
  it('round-trips a manifest exactly, typed params included, with the well-known facts under their own tags', () => {
    const m = manifest();
    const tags = encodeVersionTags(m);
    expect(tags).toMatchObject({
      'dissonance.golden_accuracy': '0.9125',
      'dissonance.kl': '0.0153',
      'dissonance.decision': 'accepted',
      'dissonance.parent_version': '3',
      'dissonance.sha256': m.sha256,
      'dissonance.signature_key': 'k1',
      'dissonance.signature': 'c2ln',
      'dissonance.metric.loss': '0.25',
      'dissonance.param.lr': '0.01',
      'dissonance.param.optimizer': 'adam',
      'dissonance.param.looksNumeric': '"3"',
      'dissonance.tag.stage': 'test',
    });
    // A key MLflow would refuse in a tag key is kept in dissonance.extra.
    expect(JSON.parse(tags['dissonance.extra'] ?? '{}')).toEqual({
      metrics: {},
      params: {},
      tags: { 'odd key?': 'kept' },
    });
    expect(decodeVersionTags('m', '7', asList(tags))).toEqual({ name: 'm', version: '7', ...m });
  });

  it('reports a malformed fact with E_MODEL naming the tag', () => {
    const tags = encodeVersionTags(manifest());
    for (const [key, value] of [
      ['dissonance.sha256', 'nope'],
      ['dissonance.size', '-1'],
      ['dissonance.metric.loss', 'x'],
      ['dissonance.extra', '{'],
    ] as const) {
      let error: DissonanceError | undefined;
      try {
        decodeVersionTags('m', '1', asList({ ...tags, [key]: value }));
      } catch (e) {
        error = e as DissonanceError;
      }
      expect(error?.code, key).toBe('E_MODEL');
      expect(error?.message).toContain(key);
    }
  });

  it('describes a version in one line', () => {
    const line = describeVersion(manifest({ tags: { decision: 'accepted\nreally' } }));
    expect(line).toBe(
      'dissonance onnx 4→3 · golden_accuracy 0.9125 · kl 0.01530 · decision accepted really · parent 3 · sha256 abababababab… · unsigned',
    );
  });
});

describe('MLmodel files', () => {
  it('reads the MLmodel MLflow writes, folded signature lines included', () => {
    const doc = readMlmodelYaml(PYTHON_MLMODEL);
    expect(doc.flavors).toMatchObject({
      onnx: { data: 'model.onnx', providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'], code: null },
    });
    expect(readMlflowModel(PYTHON_MLMODEL, 'm v1')).toEqual({
      file: 'model.onnx',
      flavors: ['onnx', 'python_function'],
      shape: { inputWidth: 4, classes: 3 },
    });
  });

  it('reads back the MLmodel this adapter writes, with the signature of the ONNX graph', () => {
    const bytes = writeOnnxMlp(initMlp({ inputWidth: 5, hidden: [4], classes: 2, seed: 1 }));
    const files = mlmodelFiles({
      file: 'model.onnx',
      bytes,
      inputWidth: 5,
      classes: 2,
      sha256: 'cd'.repeat(32),
      runId: 'r1',
      createdAt: '2026-12-04T10:00:00.000Z',
    });
    expect(files.map((f) => f.path)).toEqual([
      'MLmodel',
      'requirements.txt',
      'python_env.yaml',
      'conda.yaml',
      'input_example.json',
      'serving_input_example.json',
    ]);
    const text = files[0]?.text ?? '';
    expect(readMlflowModel(text, 'm v1')).toEqual({
      file: 'model.onnx',
      flavors: ['onnx', 'python_function'],
      shape: { inputWidth: 5, classes: 2 },
    });
    expect(readMlmodelYaml(text)).toMatchObject({
      flavors: { python_function: { loader_module: 'mlflow.onnx', env: { virtualenv: 'python_env.yaml' } } },
      run_id: 'r1',
    });
    expect(onnxSignature(bytes, 5, 2)).toEqual({
      inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 5] }],
      outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 2] }],
    });
    // Bytes that are not ONNX still get the signature the manifest describes.
    expect(onnxSignature(new Uint8Array([1, 2, 3]), 5, 2).outputs).toEqual([
      { name: 'probabilities', dtype: 'float32', shape: [-1, 2] },
    ]);
  });

  it('refuses a model without the onnx flavor with E_MODEL naming the flavors found', () => {
    const sklearn =
      'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n';
    let error: DissonanceError | undefined;
    try {
      readMlflowModel(sklearn, 'm v2');
    } catch (e) {
      error = e as DissonanceError;
    }
    expect(error?.code).toBe('E_MODEL');
    expect(error?.message).toMatch(/flavors: python_function, sklearn/);
    expect(error?.details).toMatchObject({ reason: 'flavor', flavors: ['python_function', 'sklearn'] });
  });

  it('takes no ONNX path that leaves the model folder, and refuses a signature of the wrong kind', () => {
    const withData = (data: string): string => `flavors:\n  onnx:\n    data: ${data}\n`;
    for (const data of ['../x.onnx', '/etc/x', 'a//b'])
      expect(() => readMlflowModel(withData(data), 'm')).toThrow(/names no model file/);
    expect(readMlflowModel(withData('sub/model.onnx'), 'm')).toEqual({ file: 'sub/model.onnx', flavors: ['onnx'] });
    const badInput = `${withData('model.onnx')}signature:\n  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'\n  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'\n`;
    expect(() => readMlflowModel(badInput, 'm')).toThrow(/float32 \[-1, width\]/);
  });
});
