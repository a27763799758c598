import { DissonanceError } from '../errors.js';
import type { NodeProto } from './onnx-messages.js';

/** `Gemm node 'name'`, for messages. */
export function describe(node: NodeProto): string {
  return node.name === '' ? `${node.opType} node` : `${node.opType} node '${node.name}'`;
}

/** An `E_MODEL` error, with the node's op and name in `details` when given. */
export function model(message: string, node?: NodeProto): DissonanceError {
  return new DissonanceError(
    'E_MODEL',
    message,
    node === undefined ? {} : { details: { op: node.opType, node: node.name } },
  );
}
