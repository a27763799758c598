import { DissonanceError } from '../errors.js';
import type { Envelope } from '../ports/transport.js';
import { errorText } from '../util/error-text.js';
import { float32FromLittleEndian } from '../util/float32-bytes.js';
import {
  BATCH_FRAME_VERSION,
  batchFeatures,
  batchHeaderBound,
  isBatchFrameEnvelope,
  readBatchFrame,
  writeBatchHeader,
} from './batch-frame.js';
import { parseEnvelope } from './envelope.js';
import { NO_ROOM, frameInRoom, type FrameRoom } from './frame-headroom.js';
import { MAX_PAYLOAD_DEPTH, extractBinaries, type BinaryKind } from './payload-binaries.js';

/**
 * First four bytes of a binary wire frame of format 1: NUL (never the first byte of JSON text, so a frame and a
 * JSON envelope tell themselves apart), `D`, `F`, format version 1. A frame of format 2 (a batch frame) starts
 * `00 44 46 02`.
 */
export const WIRE_FRAME_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x00, 0x44, 0x46, 0x01);

/**
 * Which frames `encodeWireFrame` writes: `2` (the default) a batch frame for a batch payload and format 1 for
 * anything else; `1` format 1 always, which every release reads — for a rolling upgrade from a release before
 * format 2, until every reader is upgraded.
 */
export type WireFormat = 1 | 2;

/** The default {@link WireFormat}. */
export const DEFAULT_WIRE_FORMAT: WireFormat = 2;

/**
 * A transport's `wireFormat` option checked: `value`, or {@link DEFAULT_WIRE_FORMAT} when undefined. Throws
 * `E_INPUT` (field `wireFormat`) on anything but 1 or 2.
 */
export function resolveWireFormat(value: unknown): WireFormat {
  if (value === undefined) return DEFAULT_WIRE_FORMAT;
  if (value === 1 || value === 2) return value;
  throw new DissonanceError('E_INPUT', `wireFormat must be 1 or 2, got ${String(value)}`, {
    details: { field: 'wireFormat' },
  });
}

/** Magic and the header length (u32, little-endian). */
const PREFIX_BYTES = 8;

/** Where a binary value sits in the envelope, its kind and byte length: one entry of the header's `b` list. */
type BinarySlot = [path: Array<string | number>, kind: BinaryKind, bytes: number];

const utf8 = new TextEncoder();

/** Node's `Buffer.allocUnsafe` (no zero fill: every byte of a frame is written), reached through globalThis. */
const allocUnsafe = (globalThis as { Buffer?: { allocUnsafe?: (size: number) => Uint8Array } }).Buffer?.allocUnsafe;

/** Uninitialized bytes where the platform offers them (Node), zeroed ones elsewhere. */
function allocate(size: number): Uint8Array {
  return allocUnsafe === undefined ? new Uint8Array(size) : allocUnsafe(size);
}
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Encodes a validated envelope as a binary wire frame. Format 1, for any payload: `00 44 46 01`, the header
 * length (u32 LE), a UTF-8 JSON header `{"e": envelope, "b": slots}`, then the bytes of every `Float32Array`
 * (little-endian) and `Uint8Array` in the payload, in header order. In the header each such value is `null`,
 * and `b` lists its path, kind and byte length. Format 2, for a batch payload as `encodeBatch` makes it
 * (`rows`, `width`, `x`, optional `ids`): `00 44 46 02`, the header length, a header of binary fields and
 * length-prefixed strings (no JSON), then the features. A batch of 32 × 64 features is 8,192 bytes of body
 * plus a header of about 120 bytes, instead of 11 kB of JSON with base64 — and no JSON pass on either side.
 * Readers before format 2 cannot read it: with `format` 1 every frame is format 1 (see {@link WireFormat}).
 * When the payload's only
 * binary value is a copy made by `encodeBatch`, the frame is written in the room kept in front of it and
 * returned as a view of the same memory (no allocation, no copy): do not change an envelope's typed arrays
 * while it is being published.
 *
 * With `room` the bytes returned are `room.before` free bytes, the frame, then `room.after` free bytes (zeroed
 * when freshly allocated): a transport writes its protocol's framing there and sends one buffer, without
 * copying the frame into a command of its own.
 *
 * Throws `E_ENVELOPE` (field `payload`) when the payload is cyclic, nested deeper than 64, or holds what JSON
 * cannot (a BigInt); `E_INPUT` when `room` is not two integers ≥ 0 or `format` is not 1 or 2.
 */
export function encodeWireFrame(
  envelope: Envelope,
  room: FrameRoom = NO_ROOM,
  format: WireFormat = DEFAULT_WIRE_FORMAT,
): Uint8Array {
  checkRoom(room);
  if (format !== DEFAULT_WIRE_FORMAT) resolveWireFormat(format);
  const blobs: Uint8Array[] = [];
  let prefix: Uint8Array;
  if (format === 2 && isBatchFrameEnvelope(envelope)) {
    // Wire format 2: a binary header, no JSON.
    const bytes = scratchOf(PREFIX_BYTES + batchHeaderBound(envelope)).bytes;
    const written = writeBatchHeader(envelope, bytes, PREFIX_BYTES);
    writePrefix(bytes, BATCH_FRAME_VERSION, written);
    prefix = bytes.subarray(0, PREFIX_BYTES + written);
    blobs.push(batchFeatures(envelope));
  } else {
    prefix = jsonHeaderPrefix(envelope, blobs);
  }
  // A single float32 copy made by encodeBatch has room for the prefix in front of it: the frame is written there.
  const inPlace = blobs.length === 1 ? frameInRoom(blobs[0]!, prefix, room) : undefined;
  if (inPlace !== undefined) return inPlace;
  let size = room.before + prefix.byteLength + room.after;
  for (const blob of blobs) size += blob.byteLength;
  const frame = allocate(size);
  frame.fill(0, 0, room.before);
  frame.set(prefix, room.before);
  let at = room.before + prefix.byteLength;
  for (const blob of blobs) {
    frame.set(blob, at);
    at += blob.byteLength;
  }
  frame.fill(0, at);
  return frame;
}

/**
 * The prefix and JSON header of a format-1 frame of `envelope` (in the scratch buffer), pushing the payload's
 * binary values onto `blobs` in header order.
 */
function jsonHeaderPrefix(envelope: Envelope, blobs: Uint8Array[]): Uint8Array {
  const slots: BinarySlot[] = [];
  let header: string;
  try {
    const payload = extractBinaries(envelope.payload, ['payload'], (path, kind, bytes) => {
      slots.push([path, kind, bytes.byteLength]);
      blobs.push(bytes);
    });
    header = JSON.stringify({ e: payload === envelope.payload ? envelope : { ...envelope, payload }, b: slots });
  } catch (error) {
    throw error instanceof DissonanceError ? error : notSerializable(error);
  }
  // Encoded once into the scratch buffer (3 bytes per UTF-16 unit is UTF-8's worst case).
  const scratch = scratchOf(PREFIX_BYTES + header.length * 3);
  const { written } = utf8.encodeInto(header, scratch.body);
  writePrefix(scratch.bytes, 1, written);
  return scratch.bytes.subarray(0, PREFIX_BYTES + written);
}

/** Magic with format `version` and the header length (u32 LE) at the start of `bytes`. */
function writePrefix(bytes: Uint8Array, version: number, headerBytes: number): void {
  bytes.set(WIRE_FRAME_MAGIC, 0);
  bytes[3] = version;
  bytes[4] = headerBytes & 0xff;
  bytes[5] = (headerBytes >>> 8) & 0xff;
  bytes[6] = (headerBytes >>> 16) & 0xff;
  bytes[7] = headerBytes >>> 24;
}

function checkRoom(room: FrameRoom): void {
  if (room === NO_ROOM) return;
  for (const side of ['before', 'after'] as const) {
    const bytes: unknown = room[side];
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
      throw new DissonanceError('E_INPUT', `frame room ${side} must be an integer ≥ 0, got ${String(bytes)}`, {
        details: { field: side },
      });
    }
  }
}

/** A module-wide scratch buffer (encoding is synchronous: one user at a time), and its bytes after the prefix. */
let scratch = { bytes: new Uint8Array(4096), body: new Uint8Array(0) };
scratch.body = scratch.bytes.subarray(PREFIX_BYTES);

/** The scratch buffer, grown to at least `size` bytes. */
function scratchOf(size: number): { bytes: Uint8Array; body: Uint8Array } {
  if (scratch.bytes.byteLength < size) {
    const bytes = new Uint8Array(Math.max(size, scratch.bytes.byteLength * 2));
    scratch = { bytes, body: bytes.subarray(PREFIX_BYTES) };
  }
  return scratch;
}

/**
 * Decodes a body received from a transport: a binary wire frame ({@link encodeWireFrame}) or, for messages
 * written by earlier releases and by other producers, envelope JSON in UTF-8. Validates the envelope with
 * {@link parseEnvelope}. Binary values come back as fresh, aligned `Float32Array`/`Uint8Array` copies.
 * Throws `E_ENVELOPE` naming the problem (truncated frame, bad header, invalid envelope…).
 */
export function decodeWireFrame(body: Uint8Array): Envelope {
  return parseEnvelope(readWireValue(body));
}

/** What a received body decoded to: the envelope, or why it is unusable and what it held. */
export type WireDecoded =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly error: string; readonly value: unknown };

/**
 * {@link decodeWireFrame} that never throws, for transports that dead-letter what they cannot use: the envelope,
 * or the `E_ENVELOPE` message and what the body held — the decoded value when it got that far, else the body
 * as text.
 */
export function tryDecodeWireFrame(body: Uint8Array): WireDecoded {
  let value: unknown;
  try {
    value = readWireValue(body);
  } catch (error) {
    return { ok: false, error: errorText(error), value: lenientUtf8.decode(body) };
  }
  try {
    return { ok: true, envelope: parseEnvelope(value) };
  } catch (error) {
    return { ok: false, error: errorText(error), value };
  }
}

/**
 * What a body holds before envelope validation: the frame's envelope with its binaries restored, or the
 * parsed JSON. Throws `E_ENVELOPE` when it is neither a well-formed frame nor JSON. (Exported for the tests.)
 */
export function readWireValue(body: Uint8Array): unknown {
  if (!isWireFrame(body)) return parseJsonBody(body);
  if (body.byteLength < PREFIX_BYTES) throw badFrame('shorter than its 8-byte prefix');
  const version = body[3]!;
  if (
    body[1] !== WIRE_FRAME_MAGIC[1] ||
    body[2] !== WIRE_FRAME_MAGIC[2] ||
    (version !== 1 && version !== BATCH_FRAME_VERSION)
  ) {
    throw badFrame(
      `unknown magic ${[...body.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')} (this release reads formats 1 and 2)`,
    );
  }
  const headerBytes = (body[4]! | (body[5]! << 8) | (body[6]! << 16) | (body[7]! << 24)) >>> 0;
  if (PREFIX_BYTES + headerBytes > body.byteLength) throw badFrame(`header of ${headerBytes} bytes runs past the end`);
  if (version === BATCH_FRAME_VERSION) return readBatchFrame(body, PREFIX_BYTES, PREFIX_BYTES + headerBytes);
  let header: unknown;
  try {
    header = JSON.parse(strictUtf8.decode(body.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes)));
  } catch (error) {
    throw badFrame(`header is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof header !== 'object' || header === null || !Array.isArray((header as { b?: unknown }).b)) {
    throw badFrame('header is not {"e": envelope, "b": [slots]}');
  }
  const { e: envelope, b: slots } = header as { e?: unknown; b: unknown[] };
  let at = PREFIX_BYTES + headerBytes;
  for (const slot of slots) {
    const [path, kind, bytes] = checkSlot(slot);
    if (at + bytes > body.byteLength) throw badFrame(`binary value at ${path.join('.')} runs past the end`);
    const chunk = body.subarray(at, at + bytes);
    at += bytes;
    // new Uint8Array(chunk) copies; `slice` would not on a Node Buffer.
    placeAt(envelope, path, kind === 'f32' ? float32FromLittleEndian(chunk, true) : new Uint8Array(chunk));
  }
  if (at !== body.byteLength) throw badFrame(`${body.byteLength - at} bytes after the last binary value`);
  return envelope;
}

/** Whether `body` starts with {@link WIRE_FRAME_MAGIC}'s NUL byte (JSON text never does). */
export function isWireFrame(body: Uint8Array): boolean {
  return body.byteLength > 0 && body[0] === WIRE_FRAME_MAGIC[0];
}

function checkSlot(slot: unknown): BinarySlot {
  if (!Array.isArray(slot) || slot.length !== 3) throw badFrame('a binary slot is not [path, kind, bytes]');
  const [path, kind, bytes] = slot as unknown[];
  if (kind !== 'f32' && kind !== 'u8') throw badFrame(`unknown binary kind ${JSON.stringify(kind)}`);
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || (kind === 'f32' && bytes % 4 !== 0)) {
    throw badFrame(`bad byte length ${JSON.stringify(bytes)} of a ${kind} value`);
  }
  if (!Array.isArray(path) || path.length === 0 || path.length > MAX_PAYLOAD_DEPTH + 1)
    throw badFrame('a binary slot has a bad path');
  for (const key of path as unknown[]) {
    if (typeof key !== 'string' && !(Number.isSafeInteger(key) && (key as number) >= 0))
      throw badFrame('a binary slot has a bad path');
  }
  return [path as Array<string | number>, kind, bytes];
}

/** Puts `value` where the header holds `null` at `path` under `root` (`e`); a bad frame otherwise. */
function placeAt(root: unknown, path: ReadonlyArray<string | number>, value: unknown): void {
  let parent: unknown = root;
  for (let i = 0; i < path.length - 1; i++) parent = childOf(parent, path[i]!, path);
  const last = path[path.length - 1]!;
  if (childOf(parent, last, path) !== null) throw badFrame(`binary slot ${path.join('.')} does not point at a null`);
  // An own data property of an object JSON.parse made: assigning it sets that property, and never reaches a
  // setter up the prototype chain — except for a key named `__proto__`, which is defined instead.
  if (last === '__proto__')
    Object.defineProperty(parent, last, { value, writable: true, enumerable: true, configurable: true });
  else (parent as Record<string | number, unknown>)[last] = value;
}

function childOf(parent: unknown, key: string | number, path: ReadonlyArray<string | number>): unknown {
  const ok =
    typeof key === 'number'
      ? Array.isArray(parent) && key < parent.length
      : typeof parent === 'object' && parent !== null && !Array.isArray(parent) && Object.hasOwn(parent, key);
  if (!ok) throw badFrame(`binary slot ${path.join('.')} does not exist in the envelope`);
  return (parent as Record<string | number, unknown>)[key];
}

function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(strictUtf8.decode(body));
  } catch (error) {
    throw new DissonanceError(
      'E_ENVELOPE',
      `invalid envelope: not a wire frame and not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { field: 'envelope' } },
    );
  }
}

function badFrame(problem: string): DissonanceError {
  return new DissonanceError('E_ENVELOPE', `invalid envelope: wire frame: ${problem}`, { details: { field: 'frame' } });
}

function notSerializable(error: unknown): DissonanceError {
  return new DissonanceError(
    'E_ENVELOPE',
    `invalid envelope: payload: not serializable: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, details: { field: 'payload' } },
  );
}
