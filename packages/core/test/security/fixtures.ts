import { ProtoWriter } from '../../src/onnx/protobuf-writer.js';
import { initMlp, writeOnnxMlp } from '../../src/mlp.js';

/** A small real ONNX MLP (4 → 3 → 2) written by the SDK, seeded. */
export function onnxMlp(seed = 1): Uint8Array {
  return writeOnnxMlp(initMlp({ inputWidth: 4, hidden: [3], classes: 2, seed }));
}

/**
 * A minimal ONNX ModelProto whose one initializer stores its data externally at `location` (or, with
 * `undefined`, marks it EXTERNAL without a location). `where` puts the tensor in the graph's initializers or
 * in a node attribute of a subgraph (If.then_branch).
 */
export function onnxWithExternalData(
  location: string | undefined,
  where: 'initializer' | 'subgraph' = 'initializer',
): Uint8Array {
  const tensor = new ProtoWriter().uint(1, 2).uint(2, 1).string(8, 'w');
  if (location !== undefined) tensor.message(13, new ProtoWriter().string(1, 'location').string(2, location));
  tensor.uint(14, 1);
  let graph = new ProtoWriter().string(2, 'g');
  if (where === 'initializer') {
    graph.message(5, tensor);
  } else {
    const inner = new ProtoWriter().string(2, 'then').message(5, tensor);
    const attribute = new ProtoWriter().string(1, 'then_branch').message(6, inner).uint(20, 5);
    const node = new ProtoWriter().string(4, 'If').message(5, attribute);
    graph = graph.message(1, node);
  }
  return new ProtoWriter().uint(1, 8).message(7, graph).message(8, new ProtoWriter().uint(2, 17)).finish();
}
