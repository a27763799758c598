/**
 * A minimal protobuf wire-format codec (no schema compiler, no dependency): just what the ONNX messages
 * need. The reader is bounds-checked and rejects malformed input with `E_MODEL`; the writer emits
 * canonical encodings.
 */
export { ProtoReader } from './protobuf-reader.js';
export type { ProtoTag } from './protobuf-reader.js';
export { ProtoWriter } from './protobuf-writer.js';

/** Protobuf wire types: how a field's value is laid out on the wire. */
export const WireType = {
  /** int32, int64, uint*, bool, enum — a base-128 varint. */
  VARINT: 0,
  /** fixed64, double — 8 bytes little-endian. */
  I64: 1,
  /** string, bytes, embedded message, packed repeated — a varint length then that many bytes. */
  LEN: 2,
  /** Deprecated group start. */
  SGROUP: 3,
  /** Deprecated group end. */
  EGROUP: 4,
  /** fixed32, float — 4 bytes little-endian. */
  I32: 5,
} as const;

/** One of the {@link WireType} values. */
export type WireTypeValue = (typeof WireType)[keyof typeof WireType];
