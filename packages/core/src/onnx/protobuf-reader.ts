import { DissonanceError } from '../errors.js';

/** A field header: field number and wire type (0 varint, 1 fixed64, 2 length-delimited, 3/4 group, 5 fixed32). */
export interface ProtoTag {
  readonly field: number;
  readonly wire: number;
}

const TWO_32 = 0x1_0000_0000;
/** `hi` halves below this keep `hi · 2³² + lo` a safe integer (< 2⁵³). */
const SAFE_HI = 0x20_0000;
/** Deepest nesting of deprecated groups skipped before the input is called malformed. */
const MAX_GROUP_DEPTH = 64;
const utf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

/** The error every malformed protobuf input raises. */
export function malformed(message: string): DissonanceError {
  return new DissonanceError('E_MODEL', `malformed protobuf: ${message}`);
}

/**
 * Bounds-checked protobuf wire-format reader over `bytes[start, end)`. Every read checks the bounds; truncated
 * or malformed input raises `DissonanceError('E_MODEL')`, never a RangeError, and never loops forever.
 * Length-delimited values come back as views on the input (no copy).
 */
export class ProtoReader {
  /** Offset of the next byte to read. */
  pos: number;
  /** Offset one past the last byte this reader may read. */
  readonly end: number;
  private readonly bytes: Uint8Array;
  /** Field number of the last tag read (groups end with a tag of the same number). */
  private lastField = 0;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    if (start < 0 || end > bytes.length || start > end) throw malformed('region out of bounds');
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  /** True when every byte of the region was read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field header. Field 0 and wire types 6 and 7 are malformed. */
  tag(): ProtoTag {
    const key = this.uint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field < 1 || field > 0x1fff_ffff) throw malformed(`field number ${field} out of range`);
    if (wire > 5) throw malformed(`wire type ${wire} of field ${field} is invalid`);
    this.lastField = field;
    return { field, wire };
  }

  /** Reads a varint as an unsigned integer; values ≥ 2⁵³ are rejected. */
  uint(): number {
    const [lo, hi] = this.varint64();
    if (hi >= SAFE_HI) throw malformed('varint does not fit in 53 bits');
    return hi * TWO_32 + lo;
  }

  /** Reads a varint as a two's-complement int64; values outside ±(2⁵³ − 1) are rejected. */
  int64(): number {
    const [lo, hi] = this.varint64();
    if (hi < 0x8000_0000) {
      if (hi >= SAFE_HI) throw malformed('int64 does not fit in 53 bits');
      return hi * TWO_32 + lo;
    }
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    if (nhi >= SAFE_HI) throw malformed('int64 does not fit in 53 bits');
    return -(nhi * TWO_32 + nlo);
  }

  /** Reads a varint as an int32 (negative values are sign-extended to ten bytes on the wire). */
  int32(): number {
    const value = this.int64();
    if (value < -0x8000_0000 || value > 0x7fff_ffff) throw malformed(`int32 value ${value} out of range`);
    return value;
  }

  /** Reads a little-endian IEEE-754 float (wire type 5). */
  float32(): number {
    const at = this.advance(4);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 4).getFloat32(0, true);
  }

  /** Reads a little-endian IEEE-754 double (wire type 1). */
  float64(): number {
    const at = this.advance(8);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 8).getFloat64(0, true);
  }

  /** Reads a length-delimited value as a view on the input. */
  bytesView(): Uint8Array {
    const length = this.uint();
    const at = this.advance(length);
    return this.bytes.subarray(at, at + length);
  }

  /** Reads a length-delimited UTF-8 string; invalid UTF-8 is malformed. */
  string(): string {
    const view = this.bytesView();
    try {
      return utf8.decode(view);
    } catch {
      throw malformed('string is not valid UTF-8');
    }
  }

  /** Reads a length-delimited value as a reader over its bytes (an embedded message or a packed run). */
  message(): ProtoReader {
    const length = this.uint();
    const at = this.advance(length);
    return new ProtoReader(this.bytes, at, at + length);
  }

  /** Appends one value (unpacked) or a packed run of varints read as int64 to `into`. */
  repeatedInt64(wire: number, into: number[]): void {
    if (wire === 0) {
      into.push(this.int64());
      return;
    }
    expectWire(wire, 2, 'packed varints');
    const run = this.message();
    while (!run.done) into.push(run.int64());
  }

  /** Appends one float (unpacked) or a packed run of floats to `into`. */
  repeatedFloat32(wire: number, into: number[]): void {
    if (wire === 5) {
      into.push(this.float32());
      return;
    }
    expectWire(wire, 2, 'packed floats');
    const run = this.message();
    if ((run.end - run.pos) % 4 !== 0) throw malformed('packed float run is not a multiple of 4 bytes');
    while (!run.done) into.push(run.float32());
  }

  /** Appends one double (unpacked) or a packed run of doubles to `into`. */
  repeatedFloat64(wire: number, into: number[]): void {
    if (wire === 1) {
      into.push(this.float64());
      return;
    }
    expectWire(wire, 2, 'packed doubles');
    const run = this.message();
    if ((run.end - run.pos) % 8 !== 0) throw malformed('packed double run is not a multiple of 8 bytes');
    while (!run.done) into.push(run.float64());
  }

  /**
   * Skips the value of the field whose tag was just read, of wire type `wire`. A group (wire type 3) is skipped
   * up to its matching end tag, iteratively.
   */
  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.advance(this.uint());
        return;
      case 5:
        this.advance(4);
        return;
      case 3:
        this.skipGroup(this.lastField);
        return;
      default:
        throw malformed(`unexpected wire type ${wire}`);
    }
  }

  /** Skips a deprecated group whose start tag (field `field`) was just read, up to its matching end tag. */
  private skipGroup(field: number): void {
    const open = [field];
    while (open.length > 0) {
      const tag = this.tag();
      if (tag.wire === 3) {
        if (open.length >= MAX_GROUP_DEPTH) throw malformed('groups nested too deeply');
        open.push(tag.field);
      } else if (tag.wire === 4) {
        if (open.pop() !== tag.field) throw malformed(`group end of field ${tag.field} does not match its start`);
      } else {
        this.skip(tag.wire);
      }
    }
  }

  /** Reads a varint of at most ten bytes as its low and high 32-bit halves (unsigned). */
  private varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = this.bytes[this.pos++] ?? 0;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    throw malformed('varint longer than ten bytes');
  }

  /** Moves past `length` bytes; returns where they start. */
  private advance(length: number): number {
    if (length > this.end - this.pos) throw malformed(`truncated: needs ${length} bytes, ${this.end - this.pos} left`);
    const at = this.pos;
    this.pos += length;
    return at;
  }
}

/** Throws `E_MODEL` unless a field arrived with the wire type its schema declares. */
export function expectWire(wire: number, expected: number, what: string): void {
  if (wire !== expected) throw malformed(`${what} has wire type ${wire}, expected ${expected}`);
}
