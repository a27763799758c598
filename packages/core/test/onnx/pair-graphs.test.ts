import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, writeOnnxMlp } from '../../src/onnx/index.js';
import { encodeOnnxModel } from '../../src/onnx/encode-model.js';
import { pairOnnxGraphs } from '../../src/onnx/pair-graphs.js';
import { ProtoWriter } from '../../src/onnx/protobuf.js';
import { randomMlp } from './graphs.js';

/** Hand-written protobuf pieces of onnx.proto3, for graphs this SDK's writer does not produce. */
const valueInfo = (name: string) => new ProtoWriter().string(1, name);
const node = (op: string, inputs: string[], outputs: string[], ...attributes: ProtoWriter[]) => {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${op}_0`).string(4, op);
  for (const a of attributes) w.message(5, a);
  return w;
};
/** A model with the given graph pieces (field number → messages) and opset 17, ir_version 8. */
function model(graph: [number, ProtoWriter][], extra: [number, ProtoWriter][] = []): Uint8Array {
  const g = new ProtoWriter();
  for (const [field, m] of graph) g.message(field, m);
  const w = new ProtoWriter().uint(1, 8).message(8, new ProtoWriter().string(1, '').uint(2, 17));
  for (const [field, m] of extra) w.message(field, m);
  return w.message(7, g).finish();
}
const identity = (...attributes: ProtoWriter[]): Uint8Array =>
  model([
    [1, node('Identity', ['x'], ['y'], ...attributes)],
    [11, valueInfo('x')],
    [12, valueInfo('y')],
  ]);

/** Asserts that `work` throws `E_MODEL` with a message matching `why`. */
function expectRefusal(work: () => unknown, why: RegExp): void {
  let caught: unknown;
  try {
    work();
  } catch (error) {
    caught = error;
  }
  expect(caught).toMatchObject({ code: 'E_MODEL', message: expect.stringMatching(why) });
}

describe('pairOnnxGraphs', () => {
  it('puts two MLPs side by side: one input, both outputs, the second’s names prefixed', () => {
    const first = writeOnnxMlp(randomMlp([6, 5, 3], 1));
    const second = writeOnnxMlp(randomMlp([6, 4, 4, 3], 2));
    const paired = pairOnnxGraphs(first, second);
    const a = decodeOnnxModel(first).graph!;
    const b = decodeOnnxModel(second).graph!;
    const m = decodeOnnxModel(paired.bytes);
    const g = m.graph!;
    expect(paired.input).toBe(a.input[0]!.name);
    expect(g.input.map((i) => i.name)).toEqual([paired.input]);
    expect(g.output.map((o) => o.name)).toEqual([a.output[0]!.name, paired.secondName(b.output[0]!.name)]);
    expect(paired.secondName('probabilities')).toBe('dissonance.second/probabilities');
    expect(g.node).toHaveLength(a.node.length + b.node.length);
    expect(g.initializer.map((t) => t.name)).toEqual([
      ...a.initializer.map((t) => t.name),
      ...b.initializer.map((t) => paired.secondName(t.name)),
    ]);
    // The second graph's first node reads the shared input; its weights are the second model's, byte for byte.
    const firstOfSecond = g.node[a.node.length]!;
    expect(firstOfSecond.input[0]).toBe(paired.input);
    expect(g.initializer[a.initializer.length]!.rawData).toEqual(b.initializer[0]!.rawData);
    expect(m.opsetImport).toEqual(decodeOnnxModel(first).opsetImport);
    expect(g.name).toBe(a.name);
  });

  it('takes the higher ir_version, adds the second’s other operator sets, and copies fields it does not read', () => {
    const strings = new ProtoWriter().string(1, 'labels').uint(20, 8).bytes(9, new TextEncoder().encode('cat'));
    const w = new ProtoWriter().uint(1, 10).message(8, new ProtoWriter().string(1, '').uint(2, 17));
    w.message(8, new ProtoWriter().string(1, 'ai.onnx.ml').uint(2, 3));
    const g = new ProtoWriter().message(1, node('LabelEncoder', ['x'], ['y'], strings));
    g.message(11, valueInfo('x')).message(12, valueInfo('y'));
    const second = w.message(7, g).finish();
    const paired = pairOnnxGraphs(identity(), second);
    const m = decodeOnnxModel(paired.bytes);
    expect(m.irVersion).toBe(10);
    expect(m.opsetImport).toEqual([
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
    const attribute = strings.finish();
    const at = (haystack: Uint8Array, needle: Uint8Array): boolean =>
      haystack.some((_, i) => needle.every((v, j) => haystack[i + j] === v));
    expect(at(paired.bytes, attribute)).toBe(true);
    expect(m.graph!.node.map((n) => n.input[0])).toEqual(['x', 'x']);
    expect(m.graph!.node.map((n) => n.output[0])).toEqual(['y', 'dissonance.second/y']);
  });

  it('picks another prefix when the first graph already uses it', () => {
    const first = decodeOnnxModel(writeOnnxMlp(randomMlp([6, 5, 3], 1)));
    const graph = first.graph!;
    const renamed = encodeOnnxModel({
      ...first,
      graph: { ...graph, node: graph.node.map((n, i) => (i === 0 ? { ...n, name: 'dissonance.second/mine' } : n)) },
    });
    const paired = pairOnnxGraphs(renamed, writeOnnxMlp(randomMlp([6, 4, 3], 2)));
    expect(paired.secondName('x')).toBe('dissonance.second1/x');
  });

  it('refuses, naming why, what it cannot pair safely', () => {
    const mlp = writeOnnxMlp(randomMlp([6, 5, 3], 1));
    const subgraph = new ProtoWriter().string(1, 'then_branch').uint(20, 5).message(6, new ProtoWriter());
    const external = new ProtoWriter().string(8, 'w').uint(14, 1);
    const cases: [Uint8Array, RegExp][] = [
      [identity(subgraph), /subgraph/],
      [
        model([
          [1, node('Identity', ['x'], ['y'])],
          [5, external],
          [11, valueInfo('x')],
          [12, valueInfo('y')],
        ]),
        /weights outside the file/,
      ],
      [
        model([
          [1, node('Add', ['x', 'z'], ['y'])],
          [11, valueInfo('x')],
          [11, valueInfo('z')],
          [12, valueInfo('y')],
        ]),
        /2 data inputs, not one/,
      ],
      [
        model([
          [1, node('Identity', ['x'], ['y'])],
          [11, valueInfo('x')],
          [12, valueInfo('y')],
          [15, new ProtoWriter()],
        ]),
        /sparse initializers/,
      ],
      [model([[11, valueInfo('x')]], [[25, new ProtoWriter().string(1, 'f')]]), /local functions/],
      [new ProtoWriter().uint(1, 8).finish(), /has no graph/],
    ];
    for (const [second, why] of cases) {
      expectRefusal(() => pairOnnxGraphs(mlp, second), why);
    }
    const newer = decodeOnnxModel(mlp);
    expectRefusal(
      () => pairOnnxGraphs(mlp, encodeOnnxModel({ ...newer, opsetImport: [{ domain: 'ai.onnx', version: 18 }] })),
      /operator set "ai.onnx" is version 17 in one model, 18 in the other/,
    );
    expectRefusal(() => pairOnnxGraphs(mlp, Uint8Array.of(0xff)), /malformed protobuf/);
  });
});
