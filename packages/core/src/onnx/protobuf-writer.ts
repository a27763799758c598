import { DissonanceError } from '../errors.js';

const TWO_32 = 0x1_0000_0000;
/** Scalar writes below this size go into the scratch buffer; larger byte runs are kept by reference. */
const INLINE_BYTES = 64;
const utf8 = /* @__PURE__ */ new TextEncoder();

/**
 * Protobuf wire-format writer. Embedded messages are written into their own writer and attached with
 * {@link ProtoWriter.message}: their parts are kept by reference, so a large tensor is copied once, by
 * {@link ProtoWriter.finish}. Integers must be safe integers (|v| < 2⁵³); negative int64 values take the
 * ten-byte two's-complement form.
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch = new Uint8Array(128);
  private used = 0;
  private flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.used;
  }

  /** Writes a varint field holding a non-negative safe integer (uint32/uint64/enum/bool). */
  uint(field: number, value: number): this {
    checkInteger(value, 0);
    this.key(field, 0);
    this.varint(value % TWO_32, Math.floor(value / TWO_32));
    return this;
  }

  /** Writes a varint field holding a signed safe integer as int64 (negative: ten bytes). */
  int64(field: number, value: number): this {
    checkInteger(value, -Number.MAX_SAFE_INTEGER);
    this.key(field, 0);
    this.rawInt64(value);
    return this;
  }

  /** Writes a fixed32 float field. */
  float32(field: number, value: number): this {
    this.key(field, 5);
    const at = this.reserve(4);
    new DataView(this.scratch.buffer, at, 4).setFloat32(0, value, true);
    return this;
  }

  /** Writes a length-delimited UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** Writes a length-delimited bytes field. Large arrays are kept by reference until {@link finish}. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length, 0);
    this.append(value);
    return this;
  }

  /** Writes an embedded message field from another writer (which must not change afterwards). */
  message(field: number, child: ProtoWriter): this {
    this.key(field, 2);
    this.varint(child.length, 0);
    child.flush();
    this.flush();
    for (const part of child.parts) this.pushPart(part);
    return this;
  }

  /** Writes a packed repeated float field (little-endian fixed32 values); nothing when empty. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
    return this.bytes(field, bytes);
  }

  /** Writes a packed repeated int64 field; nothing when empty. */
  packedInt64(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const run = new ProtoWriter();
    for (const value of values) {
      checkInteger(value, -Number.MAX_SAFE_INTEGER);
      run.rawInt64(value);
    }
    return this.message(field, run);
  }

  /** Appends bytes that already hold encoded fields, verbatim (large runs are kept by reference until {@link finish}). */
  raw(bytes: Uint8Array): this {
    this.append(bytes);
    return this;
  }

  /** The encoded bytes, copied once into one array. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  private key(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fff_ffff) {
      throw new DissonanceError('E_INPUT', `protobuf field number ${field} out of range`);
    }
    this.varint(field * 8 + wire, 0);
  }

  private rawInt64(value: number): void {
    if (value >= 0) {
      this.varint(value % TWO_32, Math.floor(value / TWO_32));
      return;
    }
    const magnitude = -value;
    const lo = (~((magnitude % TWO_32) >>> 0) + 1) >>> 0;
    const hi = (~Math.floor(magnitude / TWO_32) + (lo === 0 ? 1 : 0)) >>> 0;
    this.varint(lo, hi);
  }

  /** Writes the varint of `hi · 2³² + lo` (both unsigned 32-bit halves). */
  private varint(low: number, high: number): void {
    let lo = low >>> 0;
    let hi = high >>> 0;
    const at = this.reserve(10);
    let n = 0;
    while (hi > 0 || lo > 0x7f) {
      this.scratch[at + n++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.scratch[at + n++] = lo;
    this.used = at + n;
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length <= INLINE_BYTES) {
      const at = this.reserve(bytes.length);
      this.scratch.set(bytes, at);
      return;
    }
    this.flush();
    this.pushPart(bytes);
  }

  /** Makes room for `size` bytes in the scratch buffer; returns where they start (and counts them as used). */
  private reserve(size: number): number {
    if (this.used + size > this.scratch.length) {
      const grown = new Uint8Array(Math.max(this.scratch.length * 2, this.used + size));
      grown.set(this.scratch.subarray(0, this.used));
      this.scratch = grown;
    }
    const at = this.used;
    this.used += size;
    return at;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.pushPart(this.scratch.slice(0, this.used));
    this.used = 0;
  }

  private pushPart(part: Uint8Array): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.flushed += part.length;
  }
}

function checkInteger(value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DissonanceError('E_INPUT', `protobuf integer ${value} is not a safe integer ≥ ${min}`);
  }
}
