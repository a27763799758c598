import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, readOnnxMlp, writeOnnxMlp } from '../../src/onnx/index.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import type { MlpWeights } from '../../src/train/mlp-weights.js';
import { bits, randomMlp, randomRows } from './graphs.js';

function expectSameWeights(actual: MlpWeights, expected: MlpWeights): void {
  expect(actual.inputWidth).toBe(expected.inputWidth);
  expect(actual.classes).toBe(expected.classes);
  expect(actual.layers).toHaveLength(expected.layers.length);
  expected.layers.forEach((layer, i) => {
    const got = actual.layers[i];
    expect(got?.inputs).toBe(layer.inputs);
    expect(got?.outputs).toBe(layer.outputs);
    expect(got?.activation).toBe(layer.activation);
    expect(bits(got?.weight ?? new Float32Array())).toEqual(bits(layer.weight));
    expect(bits(got?.bias ?? new Float32Array())).toEqual(bits(layer.bias));
  });
}

describe('writeOnnxMlp → readOnnxMlp', () => {
  it('recovers every weight bit for bit, with metadata, names, opset and producer', () => {
    const weights = randomMlp([20, 32, 16, 5], 3);
    const metadata = { 'dissonance.version': '7', classes: 'a,b,c,d,e', empty: '' };
    const bytes = writeOnnxMlp(weights, { metadata, graphName: 'digits', docString: 'a test model' });
    const read = readOnnxMlp(bytes);
    expectSameWeights(read.weights, weights);
    expect(read.metadata).toEqual(metadata);
    expect(read).toMatchObject({
      inputName: 'features',
      outputName: 'probabilities',
      outputKind: 'probabilities',
      opset: 17,
      producer: 'dissonance',
    });
    const rows = 10;
    const x = randomRows(rows, 20);
    expect(bits(mlpForward(read.weights, x, rows))).toEqual(bits(mlpForward(weights, x, rows)));
  });

  it('writes IR 8, opset 17, a symbolic batch dimension and the documented graph', () => {
    const proto = decodeOnnxModel(writeOnnxMlp(randomMlp([4, 3, 2]), { graphName: 'g1', docString: 'doc' }));
    expect(proto).toMatchObject({ irVersion: 8, producerName: 'dissonance', docString: 'doc' });
    expect(proto.opsetImport).toEqual([{ domain: '', version: 17 }]);
    const graph = proto.graph;
    expect(graph?.name).toBe('g1');
    expect(graph?.node.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Softmax']);
    expect(graph?.input[0]?.type?.tensorType).toEqual({ elemType: 1, shape: [{ param: 'N' }, { value: 4 }] });
    expect(graph?.output[0]?.type?.tensorType).toEqual({ elemType: 1, shape: [{ param: 'N' }, { value: 2 }] });
    expect(graph?.initializer.map((t) => [t.name, t.dims, t.rawData?.length])).toEqual([
      ['layer0.weight', [4, 3], 48],
      ['layer0.bias', [3], 12],
      ['layer1.weight', [3, 2], 24],
      ['layer1.bias', [2], 8],
    ]);
  });

  it('keeps -0, subnormals, extremes and a relu on the last layer (property over shapes)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        (sizes, seed, lastRelu) => {
          const base = randomMlp(sizes, seed);
          const specials = [-0, 1.401298464324817e-45, -3.4028234663852886e38, 3.4028234663852886e38];
          const layers = base.layers.map((layer, i) => {
            const weight = layer.weight.slice();
            specials.forEach((v, j) => {
              if (j < weight.length) weight[j] = v;
            });
            const last = i === base.layers.length - 1;
            return { ...layer, weight, activation: last && lastRelu ? ('relu' as const) : layer.activation };
          });
          const weights = { ...base, layers };
          expectSameWeights(readOnnxMlp(writeOnnxMlp(weights)).weights, weights);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('writes hidden layers without activation when the weights say none', () => {
    const base = randomMlp([3, 4, 2]);
    const weights = { ...base, layers: base.layers.map((l) => ({ ...l, activation: 'none' as const })) };
    expectSameWeights(readOnnxMlp(writeOnnxMlp(weights)).weights, weights);
  });

  it('rejects inconsistent or non-finite weights and bad options with E_INPUT', async () => {
    const good = randomMlp([3, 4, 2]);
    const [first, second] = good.layers;
    if (first === undefined || second === undefined) throw new Error('fixture');
    const cases: unknown[] = [
      { ...good, inputWidth: 4 },
      { ...good, classes: 3 },
      { ...good, layers: [] },
      { ...good, layers: [first, { ...second, inputs: 5 }] },
      { ...good, layers: [{ ...first, weight: first.weight.subarray(1) }, second] },
      { ...good, layers: [{ ...first, bias: new Float32Array(3) }, second] },
      { ...good, layers: [{ ...first, weight: Array.from(first.weight) }, second] },
      { ...good, layers: [first, { ...second, bias: Float32Array.of(0, Number.NaN) }] },
      { ...good, layers: [{ ...first, weight: first.weight.map((v, i) => (i === 2 ? Infinity : v)) }, second] },
      { ...good, layers: [{ ...first, activation: 'tanh' }, second] },
      { ...good, inputWidth: 2.5 },
      null,
    ];
    for (const weights of cases) await expectCode(() => writeOnnxMlp(weights as MlpWeights), 'E_INPUT');
    await expectCode(() => writeOnnxMlp(good, { metadata: { a: 1 as unknown as string } }), 'E_INPUT');
    await expectCode(() => writeOnnxMlp(good, { metadata: { '': 'x' } }), 'E_INPUT');
    await expectCode(() => writeOnnxMlp(good, { graphName: '' }), 'E_INPUT');
  });
});
