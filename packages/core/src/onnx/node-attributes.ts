import { describe, model } from './model-error.js';
import { AttributeType, type NodeProto } from './onnx-messages.js';

/** Integer attribute `name` of `node`, or `fallback` when absent; present but not an INT → `E_MODEL`. */
export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute.find((a) => a.name === name);
  if (attribute === undefined) return fallback;
  if (
    attribute.i === undefined ||
    (attribute.type !== AttributeType.INT && attribute.type !== AttributeType.UNDEFINED)
  ) {
    throw model(`${describe(node)}: attribute '${name}' is not an integer`, node);
  }
  return attribute.i;
}

/** Float attribute `name` of `node`, or `fallback` when absent; present but not a FLOAT → `E_MODEL`. */
export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute.find((a) => a.name === name);
  if (attribute === undefined) return fallback;
  if (
    attribute.f === undefined ||
    (attribute.type !== AttributeType.FLOAT && attribute.type !== AttributeType.UNDEFINED)
  ) {
    throw model(`${describe(node)}: attribute '${name}' is not a float`, node);
  }
  return attribute.f;
}
