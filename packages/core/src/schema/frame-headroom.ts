import { LITTLE_ENDIAN } from '../util/float32-bytes.js';

/**
 * Float32 copies made with room around them for a wire frame, by their ArrayBuffer: where the values start and
 * end. Each room is used once, by the first frame written into it.
 */
const rooms = new WeakMap<ArrayBufferLike, { readonly start: number; readonly end: number }>();

/** Room kept before the values when the caller names no more: the prefix and a typical envelope header. */
export const DEFAULT_HEADROOM = 1024;

/** Room kept after the values, for a transport's own framing (a protocol's trailing bytes). */
export const TAILROOM = 16;

/**
 * Free bytes a transport asks {@link encodeWireFrame} to leave before and after a frame, where it writes its own
 * protocol framing so that the frame and the command carrying it are one buffer.
 */
export interface FrameRoom {
  /** Free bytes before the frame. */
  readonly before: number;
  /** Free bytes after the frame. */
  readonly after: number;
}

/** No room around the frame. */
export const NO_ROOM: FrameRoom = Object.freeze({ before: 0, after: 0 });

/**
 * A copy of `values` in an ArrayBuffer of its own, starting `headroom` bytes in (rounded up to 8) and followed by
 * {@link TAILROOM} bytes, with that room left for {@link encodeWireFrame} to write its prefix and header just
 * before the values (and a transport its framing around them). A frame of an envelope whose only binary value
 * is this copy then costs no allocation and no copy of the values; anything else (no room, a header that does
 * not fit, a second frame of the same values) falls back to a fresh frame.
 */
export function float32WithHeadroom(values: Float32Array, headroom = DEFAULT_HEADROOM): Float32Array<ArrayBuffer> {
  const start = Math.ceil(headroom / 8) * 8;
  const end = start + values.byteLength;
  const copy = new Float32Array(new ArrayBuffer(end + TAILROOM), start, values.length);
  copy.set(values);
  if (LITTLE_ENDIAN) rooms.set(copy.buffer, { start, end });
  return copy;
}

/**
 * Writes `prefix` (the frame's prefix and header, already encoded) right before `blob` (the bytes of a copy
 * made by {@link float32WithHeadroom}) in its room and returns the frame with `room` free bytes around it as one
 * view — or `undefined` when `blob` is not such a copy, its room was used, or `prefix` and `room` do not fit.
 * Uses the room up.
 */
export function frameInRoom(blob: Uint8Array, prefix: Uint8Array, room: FrameRoom = NO_ROOM): Uint8Array | undefined {
  const spot = rooms.get(blob.buffer);
  if (spot === undefined || spot.start !== blob.byteOffset || spot.end !== blob.byteOffset + blob.byteLength)
    return undefined;
  if (prefix.byteLength + room.before > spot.start || spot.end + room.after > blob.buffer.byteLength) return undefined;
  rooms.delete(blob.buffer);
  const frame = new Uint8Array(
    blob.buffer,
    spot.start - prefix.byteLength - room.before,
    room.before + prefix.byteLength + blob.byteLength + room.after,
  );
  frame.set(prefix, room.before);
  return frame;
}
