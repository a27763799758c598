import { describe, expect, it } from 'vitest';
import { readOnnxMlp } from '../../src/onnx/index.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import { initMlp } from '../../src/train/mlp-init.js';
import { MlpModel, mlpModelFromOnnx } from '../../src/train/mlp-model.js';
import { blobs } from './fixtures.js';

describe('MlpModel', () => {
  const weights = initMlp({ inputWidth: 5, hidden: [7], classes: 3, seed: 1 });
  const { x } = blobs(1, 20, 5, 3);

  it('runs mlpForward and reports its shape', async () => {
    const model = new MlpModel(weights, { name: 'm', version: '2' });
    expect(model).toMatchObject({ name: 'm', version: '2', inputWidth: 5, classes: 3 });
    expect(model.weights).toBe(weights);
    expect(await model.run(x, 20)).toEqual(mlpForward(weights, x, 20));
  });

  it('serializes to ONNX once, and the bytes read back to the same weights and outputs', async () => {
    const model = new MlpModel(weights, { name: 'm', metadata: { origin: 'test' } });
    const artifact = model.artifact;
    expect(artifact.format).toBe('onnx');
    expect(model.artifact).toBe(artifact);
    const read = readOnnxMlp(artifact.bytes);
    expect(read.weights).toEqual(weights);
    expect(read.metadata).toMatchObject({ origin: 'test' });
    const loaded = mlpModelFromOnnx(artifact.bytes, { name: 'm', version: '4', inputWidth: 5, classes: 3 });
    expect(loaded.version).toBe('4');
    expect(loaded.artifact.bytes).toBe(artifact.bytes);
    expect(await loaded.run(x, 20)).toEqual(await model.run(x, 20));
  });

  it('checks weights, inputs and files', async () => {
    await expectCode(() => new MlpModel({ ...weights, classes: 4 }, { name: 'bad' }), 'E_MODEL');
    const model = new MlpModel(weights, { name: 'm' });
    await expectCode(model.run(new Float32Array(9), 2), 'E_INPUT');
    await expectCode(model.run(x, -1), 'E_INPUT');
    await expectCode(() => mlpModelFromOnnx(model.artifact.bytes, { name: 'm', classes: 4 }), 'E_MODEL');
    await expectCode(() => mlpModelFromOnnx(new Uint8Array([1, 2, 3]), { name: 'm' }), 'E_MODEL');
  });
});
