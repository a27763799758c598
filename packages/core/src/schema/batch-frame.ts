import { DissonanceError } from '../errors.js';
import type { Envelope } from '../ports/transport.js';
import { float32FromLittleEndian, float32ToLittleEndian } from '../util/float32-bytes.js';
import { plainBatch } from './batch-payload.js';
import { envelopeObject } from './envelope.js';

/**
 * Wire format 2, the batch frame: an envelope whose payload is a plain batch payload (`rows`, `width`, `x` as a
 * `Float32Array`, optional `ids`) in a header of fixed binary fields and length-prefixed strings, with no JSON
 * on either side. After the frame's 8-byte prefix (magic `00 44 46 02`, header length u32 LE), little-endian:
 *
 *   u8 flags (1 traceparent, 2 tracestate, 4 ids) · u32 attempt · u32 rows · u32 width ·
 *   str id · str type · str createdAt · [str traceparent] · [str tracestate] · [u32 count · str × count]
 *
 * where `str` is a u16 byte length and that many bytes of UTF-8; then the features' float32 bytes to the end.
 */
export const BATCH_FRAME_VERSION = 2;

const TRACEPARENT_FLAG = 1;
const TRACESTATE_FLAG = 2;
const IDS_FLAG = 4;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');
type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
/** Node's `Buffer#latin1Slice` (a string straight from the bytes, no view), where the platform has it. */
const nodeLatin1Slice = (globalThis as { Buffer?: { prototype?: { latin1Slice?: Latin1Slice } } }).Buffer?.prototype
  ?.latin1Slice;

/**
 * Whether `envelope` travels as a batch frame: its payload is a plain batch payload (the one `decodeBatch`
 * accepts without zod) whose numbers fit a u32, with strings short enough for a u16 byte length.
 */
export function isBatchFrameEnvelope(envelope: Envelope): boolean {
  const payload = envelope.payload;
  if (!plainBatch(payload)) return false;
  const { rows, width, ids } = payload as { rows: number; width: number; ids?: string[] };
  const { attempt } = envelope;
  if (!Number.isSafeInteger(attempt) || attempt < 0 || attempt > U32_MAX || rows > U32_MAX || width > U32_MAX)
    return false;
  return (
    fitsU16(envelope.id) &&
    fitsU16(envelope.type) &&
    fitsU16(envelope.createdAt) &&
    fitsU16(envelope.traceparent) &&
    fitsU16(envelope.tracestate) &&
    (ids === undefined || ids.length <= U32_MAX)
  );
}

/** Whether the UTF-8 of `text` surely fits a u16 byte length (a UTF-16 unit is at most 3 bytes). */
function fitsU16(text: string | undefined): boolean {
  return text === undefined || text.length * 3 <= U16_MAX;
}

/** Most bytes the header of `envelope` (a {@link isBatchFrameEnvelope}) takes. */
export function batchHeaderBound(envelope: Envelope): number {
  let bound = 13 + 2 + envelope.id.length * 3 + 2 + envelope.type.length * 3 + 2 + envelope.createdAt.length * 3;
  if (envelope.traceparent !== undefined) bound += 2 + envelope.traceparent.length * 3;
  if (envelope.tracestate !== undefined) bound += 2 + envelope.tracestate.length * 3;
  const ids = (envelope.payload as { ids?: string[] }).ids;
  if (ids !== undefined) {
    bound += 4;
    for (const id of ids) bound += 2 + id.length * 3;
  }
  return bound;
}

/** The float32 features of a batch-frame envelope, as little-endian bytes. */
export function batchFeatures(envelope: Envelope): Uint8Array {
  return float32ToLittleEndian((envelope.payload as { x: Float32Array }).x);
}

/**
 * Writes the header of `envelope` (a {@link isBatchFrameEnvelope}) into `into` at `at`, which has room for
 * {@link batchHeaderBound} bytes; returns the bytes written.
 */
export function writeBatchHeader(envelope: Envelope, into: Uint8Array, at: number): number {
  const { rows, width, ids } = envelope.payload as { rows: number; width: number; ids?: string[] };
  const { traceparent, tracestate } = envelope;
  let i = at;
  into[i++] =
    (traceparent === undefined ? 0 : TRACEPARENT_FLAG) |
    (tracestate === undefined ? 0 : TRACESTATE_FLAG) |
    (ids === undefined ? 0 : IDS_FLAG);
  i = writeU32(into, i, envelope.attempt);
  i = writeU32(into, i, rows);
  i = writeU32(into, i, width);
  i = writeString(into, i, envelope.id);
  i = writeString(into, i, envelope.type);
  i = writeString(into, i, envelope.createdAt);
  if (traceparent !== undefined) i = writeString(into, i, traceparent);
  if (tracestate !== undefined) i = writeString(into, i, tracestate);
  if (ids !== undefined) {
    i = writeU32(into, i, ids.length);
    for (const id of ids) i = writeString(into, i, id);
  }
  return i - at;
}

function writeU32(into: Uint8Array, at: number, value: number): number {
  into[at] = value & 0xff;
  into[at + 1] = (value >>> 8) & 0xff;
  into[at + 2] = (value >>> 16) & 0xff;
  into[at + 3] = value >>> 24;
  return at + 4;
}

/** A u16 byte length and the UTF-8 of `text`: written by hand while it is ASCII, by `encodeInto` otherwise. */
function writeString(into: Uint8Array, at: number, text: string): number {
  const start = at + 2;
  let i = 0;
  for (; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) break;
    into[start + i] = unit;
  }
  let bytes = i;
  if (i < text.length) bytes += utf8.encodeInto(text.slice(i), into.subarray(start + i)).written;
  into[at] = bytes & 0xff;
  into[at + 1] = bytes >>> 8;
  return start + bytes;
}

/**
 * The envelope in a batch frame's header (`body[start, end)`) and features (`body[end, …)`), features copied
 * into a fresh, aligned `Float32Array`. Throws `E_ENVELOPE` on a truncated or malformed header; the envelope's
 * fields are checked by `parseEnvelope` after this.
 */
export function readBatchFrame(body: Uint8Array, start: number, end: number): Envelope {
  const reader = new HeaderReader(body, start, end);
  const flags = reader.u8();
  if (flags > (TRACEPARENT_FLAG | TRACESTATE_FLAG | IDS_FLAG)) throw badBatchFrame(`unknown flags ${flags}`);
  const attempt = reader.u32();
  const rows = reader.u32();
  const width = reader.u32();
  const id = reader.string();
  const type = reader.string();
  const createdAt = reader.string();
  const traceparent = flags & TRACEPARENT_FLAG ? reader.string() : undefined;
  const tracestate = flags & TRACESTATE_FLAG ? reader.string() : undefined;
  let ids: string[] | undefined;
  if (flags & IDS_FLAG) {
    const count = reader.u32();
    // Each id takes at least its 2-byte length: a count the header cannot hold is refused before allocating.
    if (count * 2 > end - reader.at) throw badBatchFrame(`${count} ids do not fit the header`);
    ids = new Array<string>(count);
    for (let k = 0; k < count; k++) ids[k] = reader.string();
  }
  if (reader.at !== end) throw badBatchFrame(`${end - reader.at} bytes left in the header`);
  const featureBytes = body.byteLength - end;
  if (featureBytes % 4 !== 0) throw badBatchFrame(`${featureBytes} bytes of features is not a whole number of float32`);
  const x = float32FromLittleEndian(body.subarray(end), true);
  const payload = ids === undefined ? { rows, width, x } : { rows, width, x, ids };
  return envelopeObject(id, type, attempt, createdAt, traceparent, tracestate, payload);
}

/** Reads a batch frame's header fields in order, each bounds-checked. */
class HeaderReader {
  at: number;
  readonly #bytes: Uint8Array;
  readonly #end: number;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.at = start;
    this.#end = end;
  }

  u8(): number {
    this.#need(1);
    return this.#bytes[this.at++]!;
  }

  u32(): number {
    this.#need(4);
    const b = this.#bytes;
    const at = this.at;
    this.at += 4;
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  string(): string {
    this.#need(2);
    const b = this.#bytes;
    const length = b[this.at]! | (b[this.at + 1]! << 8);
    const start = this.at + 2;
    this.#need(2 + length);
    this.at = start + length;
    const end = this.at;
    for (let i = start; i < end; i++) {
      if (b[i]! >= 0x80) return utf8Text(b, start, end);
    }
    return nodeLatin1Slice === undefined ? latin1.decode(b.subarray(start, end)) : nodeLatin1Slice.call(b, start, end);
  }

  #need(bytes: number): void {
    if (this.at + bytes > this.#end) throw badBatchFrame('header is truncated');
  }
}

function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  try {
    return strictUtf8.decode(bytes.subarray(start, end));
  } catch {
    throw badBatchFrame('a string is not UTF-8');
  }
}

function badBatchFrame(problem: string): DissonanceError {
  return new DissonanceError('E_ENVELOPE', `invalid envelope: wire frame: batch header: ${problem}`, {
    details: { field: 'frame' },
  });
}
