import { describe, expect, it } from 'vitest';
import { readOnnxMlp } from '../../src/onnx/index.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import {
  bits,
  buildModel,
  emptyTensor,
  floatAttr,
  floatInput,
  floatTensor,
  intAttr,
  layerAt,
  node,
  randomMlp,
  randomRows,
  transposed,
} from './graphs.js';

const mlp = randomMlp([6, 5, 4, 3], 11);
const l0 = layerAt(mlp, 0);
const l1 = layerAt(mlp, 1);
const l2 = layerAt(mlp, 2);

/** skl2onnx's MLPClassifier graph: Cast, MatMul + Add per layer, Relu, Softmax, then label post-processing. */
function sklearnLike(zipmap: boolean): Uint8Array {
  const nodes = [
    node('Cast', ['X'], ['cast_input'], [intAttr('to', 1)]),
    node('MatMul', ['cast_input', 'coefficient'], ['mul0']),
    node('Add', ['mul0', 'intercepts'], ['add0']),
    node('Relu', ['add0'], ['act0']),
    node('MatMul', ['act0', 'coefficient1'], ['mul1']),
    node('Add', ['intercepts1', 'mul1'], ['add1']), // bias first: either operand order
    node('Relu', ['add1'], ['act1']),
    node('MatMul', ['act1', 'coefficient2'], ['mul2']),
    node('Add', ['mul2', 'intercepts2'], ['add2']),
    node('Softmax', ['add2'], ['out_activations_result']),
    ...(zipmap
      ? [node('ZipMap', ['out_activations_result'], ['output_probability'], [], 'ai.onnx.ml')]
      : [node('Identity', ['out_activations_result'], ['probabilities'])]),
    node('ArgMax', [zipmap ? 'out_activations_result' : 'probabilities'], ['argmax_output'], [intAttr('axis', 1)]),
    node('ArrayFeatureExtractor', ['classes', 'argmax_output'], ['afe'], [], 'ai.onnx.ml'),
    node('Reshape', ['afe', 'shape_tensor'], ['reshaped']),
    node('Cast', ['reshaped'], ['label'], [intAttr('to', 7)]),
  ];
  return buildModel({
    nodes,
    initializers: [
      floatTensor('coefficient', [6, 5], l0.weight),
      floatTensor('intercepts', [1, 5], l0.bias),
      floatTensor('coefficient1', [5, 4], l1.weight),
      floatTensor('intercepts1', [1, 4], l1.bias),
      floatTensor('coefficient2', [4, 3], l2.weight),
      floatTensor('intercepts2', [1, 3], l2.bias),
      { ...emptyTensor('classes', [3], 6), int32Data: [0, 1, 2] },
      { ...emptyTensor('shape_tensor', [1], 7), int64Data: [-1] },
    ],
    inputs: [floatInput('X', [{}, { value: 6 }])],
    outputs: zipmap ? ['output_label', 'output_probability'] : ['label', 'probabilities'],
    producer: 'skl2onnx',
  });
}

/** torch.onnx.export of Sequential(Linear, ReLU, …): Gemm with transB = 1 on [out, in] weights. */
function torchLike(extra: 'softmax' | 'none' = 'none'): Uint8Array {
  const nodes = [
    node(
      'Gemm',
      ['features', '0.weight', '0.bias'],
      ['g0'],
      [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transB', 1)],
    ),
    node('Relu', ['g0'], ['r0']),
    node(
      'Gemm',
      ['r0', '2.weight', '2.bias'],
      ['g1'],
      [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transB', 1)],
    ),
    node('Relu', ['g1'], ['r1']),
    node('Gemm', ['r1', '4.weight', '4.bias'], [extra === 'none' ? 'logits' : 'g2'], [intAttr('transB', 1)]),
    ...(extra === 'softmax' ? [node('Softmax', ['g2'], ['probs'], [intAttr('axis', -1)])] : []),
  ];
  return buildModel({
    nodes,
    initializers: [
      floatTensor('0.weight', [5, 6], transposed(l0)),
      floatTensor('0.bias', [5], l0.bias),
      floatTensor('2.weight', [4, 5], transposed(l1)),
      floatTensor('2.bias', [4], l1.bias),
      floatTensor('4.weight', [3, 4], transposed(l2)),
      floatTensor('4.bias', [3], l2.bias),
    ],
    inputs: [floatInput('features', [{ param: 'N' }, { value: 6 }])],
    outputs: [extra === 'none' ? 'logits' : 'probs'],
    producer: 'pytorch',
  });
}

function expectForwardMatches(bytes: Uint8Array): void {
  const read = readOnnxMlp(bytes);
  const x = randomRows(8, 6);
  expect(bits(mlpForward(read.weights, x, 8))).toEqual(bits(mlpForward(mlp, x, 8)));
}

describe('readOnnxMlp on exporter-shaped graphs', () => {
  it('reads skl2onnx MatMul + Add chains without zipmap', () => {
    const read = readOnnxMlp(sklearnLike(false));
    expect(read).toMatchObject({
      inputName: 'X',
      outputName: 'probabilities',
      outputKind: 'probabilities',
      producer: 'skl2onnx',
      opset: 17,
    });
    expect(read.weights.layers.map((l) => l.activation)).toEqual(['relu', 'relu', 'none']);
    expectForwardMatches(sklearnLike(false));
  });

  it('reads the default zipmap export and names the tensor feeding ZipMap', () => {
    const read = readOnnxMlp(sklearnLike(true));
    expect(read.outputName).toBe('out_activations_result');
    expectForwardMatches(sklearnLike(true));
  });

  it('reads torch Gemm chains with transB = 1, ending in logits or Softmax(axis=-1)', () => {
    const logits = readOnnxMlp(torchLike());
    expect(logits).toMatchObject({ inputName: 'features', outputName: 'logits', outputKind: 'logits' });
    expectForwardMatches(torchLike());
    expect(readOnnxMlp(torchLike('softmax'))).toMatchObject({ outputName: 'probs', outputKind: 'probabilities' });
    expectForwardMatches(torchLike('softmax'));
  });

  it('turns a binary sigmoid head into two softmax logits [0, z] and finds the [1 − p, p] concat', () => {
    const w = randomMlp([3, 4, 1], 5);
    const [h, o] = w.layers;
    if (h === undefined || o === undefined) throw new Error('fixture');
    const bytes = buildModel({
      nodes: [
        node('MatMul', ['X', 'W0'], ['m0']),
        node('Add', ['m0', 'B0'], ['a0']),
        node('Relu', ['a0'], ['h0']),
        node('MatMul', ['h0', 'W1'], ['m1']),
        node('Add', ['m1', 'B1'], ['a1']),
        node('Sigmoid', ['a1'], ['p']),
        node('Sub', ['unity', 'p'], ['neg']),
        node('Concat', ['neg', 'p'], ['probabilities'], [intAttr('axis', 1)]),
        node('ArgMax', ['probabilities'], ['am'], [intAttr('axis', 1)]),
      ],
      initializers: [
        floatTensor('W0', [3, 4], h.weight),
        floatTensor('B0', [1, 4], h.bias),
        floatTensor('W1', [4, 1], o.weight),
        floatTensor('B1', [1, 1], o.bias),
        floatTensor('unity', [], [1]),
      ],
      outputs: ['am', 'probabilities'],
    });
    const read = readOnnxMlp(bytes);
    expect(read).toMatchObject({ outputName: 'probabilities', outputKind: 'probabilities' });
    expect(read.weights.classes).toBe(2);
    const rows = 16;
    const x = randomRows(rows, 3);
    const p = mlpForward(read.weights, x, rows);
    for (let r = 0; r < rows; r++) {
      let z = o.bias[0] ?? 0;
      for (let j = 0; j < 4; j++) {
        let a = h.bias[j] ?? 0;
        for (let i = 0; i < 3; i++) a += (x[r * 3 + i] ?? 0) * (h.weight[i * 4 + j] ?? 0);
        z += Math.max(0, a) * (o.weight[j] ?? 0);
      }
      const sigma = 1 / (1 + Math.exp(-z));
      expect(p[r * 2 + 1]).toBeCloseTo(sigma, 6);
      expect(p[r * 2]).toBeCloseTo(1 - sigma, 6);
    }
  });

  it('reports a bare sigmoid output as kind sigmoid', () => {
    const bytes = buildModel({
      nodes: [node('Gemm', ['X', 'W', 'B'], ['z']), node('Sigmoid', ['z'], ['p'])],
      initializers: [floatTensor('W', [2, 1], [1, 2]), floatTensor('B', [1], [0.5])],
      outputs: ['p'],
    });
    const read = readOnnxMlp(bytes);
    expect(read).toMatchObject({ outputName: 'p', outputKind: 'sigmoid' });
    expect([...(read.weights.layers[0]?.weight ?? [])]).toEqual([0, 1, 0, 2]);
    expect([...(read.weights.layers[0]?.bias ?? [])]).toEqual([0, 0.5]);
  });

  it('accepts Flatten and Identity on the input path, Constant weights, float_data, double tensors, broadcast bias', () => {
    const weight = [1, -2, 3, 0.5, 0.25, -1];
    const bytes = buildModel({
      nodes: [
        node('Identity', ['X'], ['x1']),
        node('Flatten', ['x1'], ['x2'], [intAttr('axis', 1)]),
        node(
          'Constant',
          [],
          ['W'],
          [{ name: 'value', type: 4, t: { ...emptyTensor('', [3, 2], 11), doubleData: weight }, floats: [], ints: [] }],
        ),
        node('Identity', ['W'], ['W_copy']),
        node('Gemm', ['x2', 'W_copy', 'C'], ['y']),
        node('Softmax', ['y'], ['probabilities'], [intAttr('axis', 1)]),
      ],
      initializers: [{ ...emptyTensor('C', [1], 1), floatData: [0.75] }],
      inputs: [floatInput('X', [{ param: 'N' }, { value: 1 }, { value: 3 }])],
    });
    const read = readOnnxMlp(bytes);
    expect(read.weights.inputWidth).toBe(3);
    expect([...(read.weights.layers[0]?.weight ?? [])]).toEqual(weight);
    expect([...(read.weights.layers[0]?.bias ?? [])]).toEqual([0.75, 0.75]);
  });

  it('keeps reading past a tensor that is also a graph output, folds a repeated Relu, reads from a view at an offset', () => {
    const bytes = buildModel({
      nodes: [
        node('Gemm', ['X', 'W', 'B'], ['logits']),
        node('Relu', ['logits'], ['r1']),
        node('Relu', ['r1'], ['r2']),
        node('Softmax', ['r2'], ['probabilities'], [intAttr('axis', 1)]),
      ],
      initializers: [floatTensor('W', [2, 2], [1, 2, 3, 4]), floatTensor('B', [2], [0.5, -0.5])],
      outputs: ['logits', 'probabilities'],
    });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const read = readOnnxMlp(shifted.subarray(3));
    expect(read).toMatchObject({ outputName: 'probabilities', outputKind: 'probabilities' });
    expect(read.weights.layers.map((l) => l.activation)).toEqual(['relu']);
    expect([...(read.weights.layers[0]?.bias ?? [])]).toEqual([0.5, -0.5]);
  });

  it('uses the pre-13 softmax default axis and accepts initializers listed as graph inputs (old IR)', () => {
    const bytes = buildModel({
      nodes: [node('Gemm', ['X', 'W'], ['y']), node('Softmax', ['y'], ['probabilities'])],
      initializers: [floatTensor('W', [2, 2], [1, 2, 3, 4])],
      inputs: [floatInput('X', [{}, { value: 2 }]), floatInput('W', [{ value: 2 }, { value: 2 }])],
      opset: 9,
    });
    expect(readOnnxMlp(bytes)).toMatchObject({ opset: 9, inputName: 'X' });
  });
});

describe('readOnnxMlp rejections (E_MODEL naming the problem)', () => {
  const gemm = (input: string, output: string, attrs = [intAttr('transB', 0)]) =>
    node('Gemm', [input, 'W', 'B'], [output], attrs);
  const W = floatTensor('W', [2, 2], [1, 2, 3, 4]);
  const B = floatTensor('B', [2], [0, 0]);
  const inits = [W, B];

  async function rejects(bytes: Uint8Array, pattern: RegExp): Promise<void> {
    const error = await expectCode(() => readOnnxMlp(bytes), 'E_MODEL');
    expect(error.message).toMatch(pattern);
  }

  it('names an unsupported op on the input path or after the chain', async () => {
    await rejects(
      buildModel({ nodes: [node('Conv', ['X', 'W'], ['c']), gemm('c', 'probabilities')], initializers: inits }),
      /'Conv'/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'y'), node('Tanh', ['y'], ['probabilities'])], initializers: inits }),
      /'Tanh'/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'y'), node('Relu', ['y'], ['r']), node('LogSoftmax', ['r'], ['probabilities'])],
        initializers: inits,
      }),
      /'LogSoftmax'/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'y'), node('FusedGemm', ['y', 'W'], ['probabilities'], [], 'com.microsoft')],
        initializers: inits,
      }),
      /'FusedGemm' in domain 'com.microsoft'/,
    );
  });

  it('rejects branches and residual connections', async () => {
    await rejects(
      buildModel({
        nodes: [gemm('X', 'y'), node('Relu', ['y'], ['r']), node('Softmax', ['y'], ['probabilities'])],
        initializers: inits,
      }),
      /off the single dense chain.*branches are not supported \(op 'Relu'\)/,
    );
    await rejects(
      buildModel({
        nodes: [
          node('Relu', ['X'], ['r']),
          node('Gemm', ['X', 'W', 'B'], ['y']),
          node('Add', ['y', 'r'], ['probabilities']),
        ],
        initializers: inits,
      }),
      /tensor 'X' on the input path feeds 2 nodes \(Relu, Gemm\): branches/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'y'), node('Relu', ['y'], ['r']), node('Add', ['r', 'y'], ['probabilities'])],
        initializers: inits,
      }),
      /branches are not supported/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'y'), node('Relu', ['y'], ['r']), gemm('r', 'z'), node('Add', ['z', 'r'], ['probabilities'])],
        initializers: inits,
      }),
      /branches are not supported/,
    );
  });

  it('rejects unsupported Gemm forms, runtime weights and bad bias shapes', async () => {
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities', [intAttr('transA', 1)])], initializers: inits }),
      /transA/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities', [floatAttr('alpha', 2)])], initializers: inits }),
      /alpha/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities', [floatAttr('beta', 0.5)])], initializers: inits }),
      /beta/,
    );
    await rejects(
      buildModel({ nodes: [node('Gemm', ['W', 'X', 'B'], ['probabilities'])], initializers: inits }),
      /input A/,
    );
    await rejects(
      buildModel({
        nodes: [node('Gemm', ['X', 'W', 'B'], ['probabilities'])],
        initializers: [W, floatTensor('B', [3], [0, 0, 0])],
      }),
      /bias 'B' has shape \[3\]/,
    );
    await rejects(
      buildModel({
        nodes: [node('Gemm', ['X', 'W2', 'B'], ['probabilities'])],
        initializers: inits,
        inputs: [floatInput('X', [{}, { value: 2 }]), floatInput('W2', undefined)],
      }),
      /expected one graph input/,
    );
    await rejects(
      buildModel({ nodes: [node('Gemm', ['X', 'Y', 'B'], ['probabilities'])], initializers: inits }),
      /not a constant/,
    );
  });

  it('rejects external data, multi-label sigmoid, a wrong softmax axis, non-finite weights, width mismatches', async () => {
    const external = {
      ...emptyTensor('W', [2, 2], 1),
      dataLocation: 1,
      externalData: [{ key: 'location', value: '/etc/passwd' }],
    };
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities')], initializers: [external, B] }),
      /external data is not supported/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities')], initializers: [{ ...W, dataLocation: 1 }, B] }),
      /external data/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'y'), node('Sigmoid', ['y'], ['probabilities'])], initializers: inits }),
      /multi-label/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'y'), node('Softmax', ['y'], ['probabilities'], [intAttr('axis', 0)])],
        initializers: inits,
      }),
      /axis 0/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'probabilities')],
        initializers: [floatTensor('W', [2, 2], [1, Number.NaN, 3, 4]), B],
      }),
      /non-finite/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'probabilities')],
        initializers: inits,
        inputs: [floatInput('X', [{}, { value: 3 }])],
      }),
      /3 features/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'probabilities')],
        initializers: inits,
        inputs: [{ name: 'X', type: { tensorType: { elemType: 11 } } }],
      }),
      /element type 11/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities')], initializers: [floatTensor('W', [2, 2], [1, 2, 3]), B] }),
      /raw_data holds 12 bytes/,
    );
    await rejects(
      buildModel({
        nodes: [gemm('X', 'probabilities')],
        initializers: [{ ...emptyTensor('W', [2, 2], 7), int64Data: [1, 2, 3, 4] }, B],
      }),
      /data type 7/,
    );
    await rejects(
      buildModel({ nodes: [gemm('X', 'probabilities')], initializers: [floatTensor('W', [2 ** 20, 2 ** 20], []), B] }),
      /elements/,
    );
  });

  it('rejects cycles instead of looping', async () => {
    await rejects(
      buildModel({
        nodes: [
          gemm('X', 'y'),
          node('Relu', ['y'], ['r']),
          node('Identity', ['r'], ['X2']),
          gemm('X2', 'y2'),
          node('Identity', ['y2'], ['y']),
        ],
        initializers: inits,
      }),
      /written twice|cycle/,
    );
    await rejects(
      buildModel({
        nodes: [node('Gemm', ['a', 'W', 'B'], ['b']), node('Relu', ['b'], ['a']), node('Identity', ['X'], ['a2'])],
        initializers: inits,
      }),
      /unsupported|cycle|no dense layer/,
    );
    await rejects(
      buildModel({ nodes: [node('Gemm', ['X', 'W', 'B'], ['b']), node('Relu', ['b'], ['X'])], initializers: inits }),
      /also written by a node/,
    );
    await rejects(
      buildModel({
        nodes: [
          node('Gemm', ['X', 'W', 'B'], ['b']),
          node('Relu', ['b'], ['c']),
          node('Gemm', ['c', 'W', 'B'], ['d']),
          node('Relu', ['d'], ['c']),
        ],
        initializers: inits,
      }),
      /written twice|cycle/,
    );
  });

  it('rejects graphs without a dense layer, without an opset, or with duplicate writers', async () => {
    await rejects(
      buildModel({ nodes: [node('Identity', ['X'], ['probabilities'])], initializers: [] }),
      /no dense layer/,
    );
    await rejects(buildModel({ nodes: [gemm('X', 'y'), gemm('X', 'y')], initializers: inits }), /written twice/);
    await rejects(buildModel({ nodes: [gemm('X', 'probabilities')], initializers: inits, opset: 5 }), /opset 5/);
  });
});
