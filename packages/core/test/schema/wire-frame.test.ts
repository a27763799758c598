import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDissonanceError, type Envelope } from '../../src/index.js';
import {
  createEnvelope,
  decodeBatch,
  decodeWireFrame,
  encodeBatch,
  encodeWireFrame,
  envelopeToJson,
} from '../../src/adapter-kit/index.js';
import { isWireFrame } from '../../src/schema/wire-frame.js';
import { bytesOf, expectEnvelopeError, frameBytes } from './frame-assertions.js';
import { float32WithHeadroom } from '../../src/schema/frame-headroom.js';
import { readWireValue } from '../../src/schema/wire-frame.js';

const utf8 = new TextEncoder();

/** A frame with its header replaced by `header` (JSON) and `body` after it. */
function frameWith(header: unknown, body: Uint8Array = new Uint8Array()): Uint8Array {
  return frameBytes(1, utf8.encode(JSON.stringify(header)), body);
}

describe('binary wire frame', () => {
  it('round-trips a batch envelope: the features as bytes after a small binary header (format 2), bit for bit', () => {
    const x = Float32Array.from({ length: 32 * 64 }, (_, i) => Math.sin(i) * 1e3);
    x[0] = -0;
    x[1] = Number.NaN;
    const sent = createEnvelope('dissonance.batch', encodeBatch({ x, rows: 32, ids: ['a', 'b'] }, 64), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const frame = encodeWireFrame(sent);
    expect(isWireFrame(frame)).toBe(true);
    expect([...frame.subarray(0, 4)]).toEqual([0, 0x44, 0x46, 2]);
    // 8 KiB of features plus a header of about 150 bytes, against ~11 kB for JSON with base64.
    expect(frame.byteLength - x.byteLength).toBeLessThan(200);
    expect(envelopeToJson(sent).length).toBeGreaterThan(10_900);
    const got = decodeWireFrame(frame);
    expect({ ...got, payload: null }).toEqual({ ...sent, payload: null });
    // The frame carries the NaN bit for bit; decodeBatch, the boundary check, refuses it by row and column.
    const payload = got.payload as { rows: number; ids: string[]; x: Float32Array };
    expect(payload.rows).toBe(32);
    expect(payload.ids).toEqual(['a', 'b']);
    expect(bytesOf(payload.x)).toEqual(bytesOf(x));
    expect(() => decodeBatch(got.payload)).toThrow(/E_ENVELOPE.*row 0, column 1 is NaN/);
    payload.x[1] = 0;
    expect(decodeBatch(got.payload).rows).toBe(32);
  });

  it('writes the frame of an encodeBatch payload in the room kept in front of its copy, once', () => {
    const x = Float32Array.from({ length: 32 * 64 }, (_, i) => i / 7);
    const ids = Array.from({ length: 32 }, (_, i) => `item-${i}-${'é'.repeat(150)}`);
    const sent = createEnvelope('dissonance.batch', encodeBatch({ x, rows: 32, ids }, 64), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const copy = (sent.payload as { x: Float32Array }).x;
    const first = encodeWireFrame(sent);
    // The same memory as the payload's copy: no allocation, no copy of the features.
    expect(first.buffer).toBe(copy.buffer);
    expect(first.byteOffset + first.byteLength).toBe(copy.byteOffset + copy.byteLength);
    const before = [...first];
    // A second frame of the same values cannot reuse the room (the first may still be on its way): a fresh one.
    const second = encodeWireFrame({ ...sent, attempt: 2 } as Envelope);
    expect(second.buffer).not.toBe(copy.buffer);
    expect([...first]).toEqual(before);
    for (const frame of [first, second]) {
      const batch = decodeBatch(decodeWireFrame(frame).payload);
      expect(batch.ids).toEqual(ids);
      expect(bytesOf(batch.x)).toEqual(bytesOf(x));
    }
    expect(decodeWireFrame(second).attempt).toBe(2);
  });

  it("falls back to a fresh frame when the header does not fit the room, or the copy is not encodeBatch's", () => {
    const x = Float32Array.of(1, 2, 3);
    const tight = createEnvelope('t'.repeat(200), { x: float32WithHeadroom(x, 16) }, { tracestate: 'k=v'.repeat(100) });
    const cloned = createEnvelope('t', structuredClone(encodeBatch({ x, rows: 1 }, 3)));
    for (const sent of [tight, cloned]) {
      const frame = encodeWireFrame(sent);
      expect(frame.buffer).not.toBe((sent.payload as { x: Float32Array }).x.buffer);
      expect([...(decodeWireFrame(frame).payload as { x: Float32Array }).x]).toEqual([1, 2, 3]);
    }
  });

  it('leaves the free bytes a transport asks for around the frame, in place and in a fresh frame alike', () => {
    const x = Float32Array.of(1, -0, Number.NaN, 3.5);
    const room = { before: 40, after: 2 };
    const inPlace = createEnvelope('t', encodeBatch({ x, rows: 1 }, 4));
    const fresh = createEnvelope('t', { rows: 1, width: 4, x: Float32Array.from(x) });
    for (const sent of [inPlace, fresh]) {
      const plain = encodeWireFrame({ ...sent } as Envelope);
      const roomy = encodeWireFrame(sent, room);
      expect(roomy.byteLength).toBe(room.before + plain.byteLength + room.after);
      expect([...roomy.subarray(room.before, roomy.byteLength - room.after)]).toEqual([...plain]);
      const payload = decodeWireFrame(roomy.subarray(room.before, -room.after)).payload as { x: Float32Array };
      expect(bytesOf(payload.x)).toEqual(bytesOf(x));
    }
    // In place: the room is the copy's own memory, around its values; fresh: the free bytes are zeroed.
    const payload = encodeBatch({ x, rows: 1 }, 4);
    expect(encodeWireFrame(createEnvelope('t', payload), room).buffer).toBe((payload.x as Float32Array).buffer);
    const second = encodeWireFrame(fresh, room);
    expect([...second.subarray(0, room.before), ...second.subarray(-room.after)].every((byte) => byte === 0)).toBe(
      true,
    );
  });

  it("falls back to a fresh frame when the room asked for does not fit around encodeBatch's copy", () => {
    const x = Float32Array.of(1, 2);
    const payload = encodeBatch({ x, rows: 1 }, 2);
    const frame = encodeWireFrame(createEnvelope('t', payload), { before: 0, after: 4096 });
    expect(frame.buffer).not.toBe((payload.x as Float32Array).buffer);
    // The room was not used up by the failed attempt: the next frame is still written in place.
    expect(encodeWireFrame(createEnvelope('t', payload)).buffer).toBe((payload.x as Float32Array).buffer);
  });

  it('refuses a room that is not two integers ≥ 0 with E_INPUT', () => {
    const sent = createEnvelope('t', { n: 1 });
    for (const room of [
      { before: -1, after: 0 },
      { before: 0, after: 1.5 },
      { before: Number.NaN, after: 0 },
    ]) {
      expect(() => encodeWireFrame(sent, room)).toThrowError(expect.objectContaining({ code: 'E_INPUT' }) as Error);
    }
  });

  it("zeroes the room of encodeBatch's copy, so no earlier memory shows through its buffer", () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => i + 1);
    for (let round = 0; round < 50; round++) {
      const copy = encodeBatch({ x, rows: 1 }, 64).x as Float32Array;
      const all = new Uint8Array(copy.buffer);
      const values = new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
      expect(all.subarray(0, copy.byteOffset).every((byte) => byte === 0)).toBe(true);
      expect(all.subarray(copy.byteOffset + copy.byteLength).every((byte) => byte === 0)).toBe(true);
      expect([...values]).toEqual(bytesOf(x));
    }
  });

  it('decodes into aligned copies, whatever the offset of the received bytes', () => {
    const sent = createEnvelope('t', { x: Float32Array.of(1, 2, 3), raw: Uint8Array.of(9, 8) });
    const frame = encodeWireFrame(sent);
    // A Node Buffer, as the adapters receive: its `slice` is a view, so a copy must not rely on it.
    const shifted = Buffer.alloc(frame.byteLength + 3);
    shifted.set(frame, 3);
    const got = decodeWireFrame(shifted.subarray(3)).payload as { x: Float32Array; raw: Uint8Array };
    expect([...got.x]).toEqual([1, 2, 3]);
    expect([...got.raw]).toEqual([9, 8]);
    shifted.fill(0);
    expect([...got.x]).toEqual([1, 2, 3]);
    expect([...got.raw]).toEqual([9, 8]);
  });

  it('round-trips any JSON payload with typed arrays anywhere in it', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const typed = fc.oneof(fc.float32Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }));
    const payload = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        json,
        typed,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(payload, (value) => {
        const sent = createEnvelope('t', value);
        const got = decodeWireFrame(encodeWireFrame(sent));
        expect(normalize(got.payload)).toEqual(normalize(JSON.parse(JSON.stringify(value, keepTyped)) as unknown));
      }),
      { numRuns: 300 },
    );
  });

  it('reads envelope JSON (earlier releases, other producers), base64 features included', () => {
    const x = Float32Array.of(0.5, -2);
    const sent = createEnvelope('dissonance.batch', encodeBatch({ x, rows: 1 }, 2));
    const json = envelopeToJson(sent);
    expect(JSON.parse(json).payload.x).toBe('AAAAPwAAAMA=');
    const got = decodeWireFrame(utf8.encode(json));
    expect(got.id).toBe(sent.id);
    expect([...decodeBatch(got.payload).x]).toEqual([0.5, -2]);
  });

  it('refuses what the JSON header cannot hold with E_ENVELOPE, and cycles too', () => {
    expectEnvelopeError(
      () => encodeWireFrame({ ...createEnvelope('t', null), payload: { n: 1n } } as Envelope),
      /payload: not serializable/,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expectEnvelopeError(
      () => encodeWireFrame({ ...createEnvelope('t', null), payload: cyclic } as Envelope),
      /deeper than 64/,
    );
    expectEnvelopeError(
      () => envelopeToJson({ ...createEnvelope('t', null), payload: cyclic } as Envelope),
      /deeper than 64/,
    );
  });

  it('throws only E_ENVELOPE on damaged frames and arbitrary bytes', () => {
    const good = encodeWireFrame(createEnvelope('t', { x: Float32Array.of(1, 2), n: 3 }));
    expectEnvelopeError(() => decodeWireFrame(good.subarray(0, 6)), /shorter than its 8-byte prefix/);
    expectEnvelopeError(() => decodeWireFrame(good.subarray(0, 20)), /runs past the end/);
    expectEnvelopeError(() => decodeWireFrame(good.subarray(0, good.length - 1)), /runs past the end/);
    expectEnvelopeError(() => decodeWireFrame(Uint8Array.of(...good, 0)), /1 bytes after the last binary value/);
    expectEnvelopeError(() => decodeWireFrame(utf8.encode('{not json')), /not a wire frame and not JSON/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(good.length - 1), (noise, at) => {
        for (const bytes of [noise, Uint8Array.of(...good.subarray(0, at), ...noise)]) {
          try {
            decodeWireFrame(bytes);
          } catch (error) {
            expect(isDissonanceError(error) && error.code).toBe('E_ENVELOPE');
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses slots that point outside the envelope, at a non-null, at an inherited __proto__, or of unknown kinds', () => {
    const e = { ...createEnvelope('t', { a: null, b: 1 }) };
    const four = new Uint8Array(4);
    expectEnvelopeError(
      () => readWireValue(frameWith({ e, b: [[['payload', 'zz'], 'u8', 4]] }, four)),
      /does not exist/,
    );
    expectEnvelopeError(
      () => readWireValue(frameWith({ e, b: [[['payload', 'b'], 'u8', 4]] }, four)),
      /does not point at a null/,
    );
    expectEnvelopeError(
      () => readWireValue(frameWith({ e, b: [[['payload', '__proto__'], 'u8', 4]] }, four)),
      /does not exist/,
    );
    expectEnvelopeError(() => readWireValue(frameWith({ e, b: [[[], 'u8', 4]] }, four)), /bad path/);
    expectEnvelopeError(
      () => readWireValue(frameWith({ e, b: [[['payload', 'a'], 'f64', 4]] }, four)),
      /unknown binary kind/,
    );
    expectEnvelopeError(
      () => readWireValue(frameWith({ e, b: [[['payload', 'a'], 'f32', 3]] }, four)),
      /bad byte length/,
    );
    expectEnvelopeError(() => readWireValue(frameWith({ e })), /header is not/);
    expect(readWireValue(frameWith({ e, b: [[['payload', 'a'], 'u8', 4]] }, four))).toMatchObject({
      payload: { a: new Uint8Array(4) },
    });
  });

  it('keeps a payload key named __proto__ an own property', () => {
    const payload = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    (payload['__proto__'] as Record<string, unknown>)['x'] = Float32Array.of(5);
    const got = decodeWireFrame(encodeWireFrame(createEnvelope('t', payload))).payload as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.hasOwn(got, '__proto__')).toBe(true);
    expect([...((got['__proto__'] as Record<string, unknown>)['x'] as Float32Array)]).toEqual([5]);
  });

  it('lets envelopeToJson carry typed arrays as base64, leaving other payloads untouched', () => {
    const plain = createEnvelope('t', { a: [1, 'x'] });
    expect(envelopeToJson(plain)).toBe(JSON.stringify(plain));
    const withBytes = createEnvelope('t', { list: [Uint8Array.of(1, 2, 3)] });
    expect(JSON.parse(envelopeToJson(withBytes)).payload).toEqual({ list: ['AQID'] });
    expect((withBytes.payload.list[0] as Uint8Array).length).toBe(3);
  });
});

/** JSON.stringify replacer that keeps typed arrays recognisable for the comparison. */
function keepTyped(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Float32Array) return { f32: bytesOf(value) };
  if (value instanceof Uint8Array) return { u8: [...value] };
  return value;
}

/** What a decoded payload looks like through {@link keepTyped}: typed arrays as tagged byte lists, JSON semantics. */
function normalize(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, keepTyped)) as unknown;
}
