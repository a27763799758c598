import { LITTLE_ENDIAN } from '../util/float32-bytes.js';

/**
 * Float32 copies made with room in front for a wire frame's prefix and header, by their ArrayBuffer: the byte
 * offset where the values start. Each room is used once, by the first frame written into it.
 */
const rooms = new WeakMap<ArrayBufferLike, number>();

/** Room kept before the values when the caller names no more: the prefix and a typical envelope header. */
export const DEFAULT_HEADROOM = 1024;

/**
 * A copy of `values` in an ArrayBuffer of its own, starting `headroom` bytes in (rounded up to 8), with that
 * room left for {@link encodeWireFrame} to write its prefix and header just before the values. A frame of an
 * envelope whose only binary value is this copy then costs no allocation and no copy of the values; anything
 * else (no room, a header that does not fit, a second frame of the same values) falls back to a fresh frame.
 */
export function float32WithHeadroom(values: Float32Array, headroom = DEFAULT_HEADROOM): Float32Array<ArrayBuffer> {
  const offset = Math.ceil(headroom / 8) * 8;
  const buffer = new ArrayBuffer(offset + values.byteLength);
  const copy = new Float32Array(buffer, offset, values.length);
  copy.set(values);
  if (LITTLE_ENDIAN) rooms.set(buffer, offset);
  return copy;
}

/**
 * Writes `prefix` (the frame's prefix and header, already encoded) right before `blob` (the bytes of a copy
 * made by {@link float32WithHeadroom}) in its room and returns the whole frame as one view — or `undefined`
 * when `blob` is not such a copy, its room was used, or `prefix` does not fit. Uses the room up.
 */
export function frameInRoom(blob: Uint8Array, prefix: Uint8Array): Uint8Array | undefined {
  const offset = rooms.get(blob.buffer);
  if (offset === undefined || offset !== blob.byteOffset || offset + blob.byteLength !== blob.buffer.byteLength) return undefined;
  if (prefix.byteLength > offset) return undefined;
  rooms.delete(blob.buffer);
  const frame = new Uint8Array(blob.buffer, offset - prefix.byteLength, prefix.byteLength + blob.byteLength);
  frame.set(prefix, 0);
  return frame;
}
