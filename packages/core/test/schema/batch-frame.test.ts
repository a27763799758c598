import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDissonanceError, type Envelope } from '../../src/index.js';
import {
  DEFAULT_WIRE_FORMAT,
  createEnvelope,
  decodeBatch,
  decodeWireFrame,
  encodeBatch,
  encodeWireFrame,
  resolveWireFormat,
  tryDecodeWireFrame,
} from '../../src/adapter-kit/index.js';
import { WIRE_FRAME_MAGIC } from '../../src/schema/wire-frame.js';
import { bytesOf, expectEnvelopeError, frameBytes } from './frame-assertions.js';

const utf8 = new TextEncoder();
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A format-2 frame written by hand: flags, attempt, rows, width, the strings, then `features`. */
function handFrame(
  fields: {
    flags?: number;
    attempt?: number;
    rows?: number;
    width?: number;
    strings?: Array<string | Uint8Array>;
    extra?: number[];
  },
  features: Uint8Array = new Uint8Array(8),
): Uint8Array {
  const header: number[] = [fields.flags ?? 0];
  for (const n of [fields.attempt ?? 1, fields.rows ?? 1, fields.width ?? 2])
    header.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  for (const text of fields.strings ?? ['id-1', 'dissonance.batch', '2026-11-27T02:00:00.000Z']) {
    const bytes = typeof text === 'string' ? utf8.encode(text) : text;
    header.push(bytes.length & 0xff, bytes.length >>> 8, ...bytes);
  }
  header.push(...(fields.extra ?? []));
  return frameBytes(2, header, features);
}

describe('batch frame (wire format 2)', () => {
  it('carries every envelope field and the batch bit for bit: trace context, ids, non-ASCII strings, attempts', () => {
    const x = Float32Array.of(-0, Number.NaN, Infinity, -3.4e38, 1e-45, 0.1);
    const ids = ['a', 'é-ü-€-😀', 'x'.repeat(200)];
    const sent = createEnvelope('dissonance.batch', encodeBatch({ x, rows: 3, ids }, 2), {
      id: 'id-ñ-😀',
      traceparent: TRACEPARENT,
      tracestate: 'vendor=é'.repeat(10),
    });
    const frame = encodeWireFrame(sent);
    expect([...frame.subarray(0, 4)]).toEqual([0, 0x44, 0x46, 2]);
    const got = decodeWireFrame(frame);
    expect({ ...got, payload: null }).toEqual({ ...sent, payload: null });
    // The frame carries NaN and Infinity bit for bit; decodeBatch, the boundary check, refuses them.
    const payload = got.payload as { rows: number; ids: string[]; x: Float32Array };
    expect(payload.ids).toEqual(ids);
    expect(payload.rows).toBe(3);
    expect(bytesOf(payload.x)).toEqual(bytesOf(x));
    expect(() => decodeBatch(got.payload)).toThrow(/E_ENVELOPE.*row 0, column 1 is NaN/);
    // A redelivery's attempt and a payload without ids.
    const retried = {
      ...createEnvelope('dissonance.batch', { rows: 1, width: 2, x: Float32Array.of(1, 2) }),
      attempt: 4_000_000_000,
    } as Envelope;
    expect(decodeWireFrame(encodeWireFrame(retried))).toEqual(retried);
  });

  it('round-trips any batch payload the hand-checked decodeBatch path accepts', () => {
    const text = fc.string({ minLength: 1, maxLength: 200, unit: 'binary' });
    const envelope = fc.record({
      id: text,
      type: text,
      attempt: fc.integer({ min: 1, max: 0xffffffff }),
      traceparent: fc.option(fc.constant(TRACEPARENT), { nil: undefined }),
      tracestate: fc.option(fc.string({ maxLength: 512, unit: 'binary' }), { nil: undefined }),
      rows: fc.integer({ min: 1, max: 4 }),
      width: fc.integer({ min: 1, max: 4 }),
      ids: fc.option(fc.array(text, { maxLength: 4 }), { nil: undefined }),
      seed: fc.float32Array({ minLength: 16, maxLength: 16 }),
    });
    fc.assert(
      fc.property(envelope, ({ id, type, attempt, traceparent, tracestate, rows, width, ids, seed }) => {
        const x = seed.subarray(0, rows * width);
        const payload = ids === undefined ? { rows, width, x } : { rows, width, x, ids };
        const sent = {
          ...createEnvelope(type, payload, {
            id,
            ...(traceparent ? { traceparent } : {}),
            ...(tracestate === undefined ? {} : { tracestate }),
          }),
          attempt,
        } as Envelope;
        const frame = encodeWireFrame(sent);
        expect(frame[3]).toBe(2);
        const got = decodeWireFrame(frame);
        expect({ ...got, payload: null }).toEqual({ ...sent, payload: null });
        const gotPayload = got.payload as typeof payload;
        expect({ ...gotPayload, x: null }).toEqual({ ...payload, x: null });
        expect(bytesOf(gotPayload.x)).toEqual(bytesOf(x));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps format 1 for every other payload, and still reads batches in format 1 (earlier releases)', () => {
    const x = Float32Array.of(1, 2);
    for (const payload of [
      { rows: 1, width: 2, x, extra: true },
      { rows: 0, width: 2, x },
      { rows: 1, width: 2, x: Uint8Array.of(1, 2) },
      { rows: 1, width: 2, x, ids: [''] },
      { rows: 1, width: 2, x: 'AACAPwAAAEA=' },
    ]) {
      const frame = encodeWireFrame(createEnvelope('t', payload));
      expect([...frame.subarray(0, 4)]).toEqual([...WIRE_FRAME_MAGIC]);
      expect(decodeWireFrame(frame).payload).toEqual(payload);
    }
    // A format-1 frame of a batch, as the previous release wrote it.
    const sent = createEnvelope('dissonance.batch', { rows: 1, width: 2, x });
    const header = utf8.encode(
      JSON.stringify({ e: { ...sent, payload: { rows: 1, width: 2, x: null } }, b: [[['payload', 'x'], 'f32', 8]] }),
    );
    expect(decodeWireFrame(frameBytes(1, header, new Uint8Array(x.buffer)))).toEqual(sent);
  });

  it('writes format 1 for every payload with format 1, for readers before format 2', () => {
    const sent = createEnvelope('dissonance.batch', encodeBatch({ x: Float32Array.of(1, 2), rows: 1, ids: ['a'] }, 2));
    const frame = encodeWireFrame(sent, undefined, 1);
    expect([...frame.subarray(0, 4)]).toEqual([...WIRE_FRAME_MAGIC]);
    expect(decodeWireFrame(frame)).toEqual(sent);
    expect(encodeWireFrame(sent, undefined, 2)[3]).toBe(2);
    expect(resolveWireFormat(undefined)).toBe(DEFAULT_WIRE_FORMAT);
    expect(resolveWireFormat(1)).toBe(1);
    for (const bad of [0, 3, '2', null]) {
      expect(() => resolveWireFormat(bad)).toThrowError(
        expect.objectContaining({ code: 'E_INPUT', details: { field: 'wireFormat' } }) as Error,
      );
      expect(() => encodeWireFrame(sent, undefined, bad as 2)).toThrowError(
        expect.objectContaining({ code: 'E_INPUT' }) as Error,
      );
    }
  });

  it('refuses damaged batch headers, unknown versions and invalid fields with E_ENVELOPE', () => {
    expect(decodeWireFrame(handFrame({})).payload).toEqual({ rows: 1, width: 2, x: new Float32Array(2) });
    expectEnvelopeError(() => decodeWireFrame(handFrame({ flags: 8 })), /unknown flags 8/);
    expectEnvelopeError(() => decodeWireFrame(handFrame({ strings: ['id'] })), /header is truncated/);
    expectEnvelopeError(() => decodeWireFrame(handFrame({ extra: [7] })), /1 bytes left in the header/);
    expectEnvelopeError(
      () => decodeWireFrame(handFrame({ flags: 4, extra: [0xff, 0xff, 0xff, 0xff] })),
      /4294967295 ids do not fit/,
    );
    expectEnvelopeError(
      () => decodeWireFrame(handFrame({}, new Uint8Array(6))),
      /6 bytes of features is not a whole number/,
    );
    expectEnvelopeError(
      () => decodeWireFrame(handFrame({ strings: [Uint8Array.of(0xc3), 't', '2026-11-27T02:00:00Z'] })),
      /not UTF-8/,
    );
    // Well-formed bytes, invalid envelope: parseEnvelope names the field.
    expectEnvelopeError(() => decodeWireFrame(handFrame({ attempt: 0 })), /attempt/);
    expectEnvelopeError(() => decodeWireFrame(handFrame({ strings: ['id', 't', 'yesterday'] })), /createdAt/);
    expectEnvelopeError(
      () => decodeWireFrame(handFrame({ flags: 1, strings: ['id', 't', '2026-11-27T02:00:00Z', 'not-a-traceparent'] })),
      /traceparent/,
    );
    const unknown = handFrame({});
    unknown[3] = 3;
    expectEnvelopeError(() => decodeWireFrame(unknown), /unknown magic 00 44 46 03/);
    const decoded = tryDecodeWireFrame(unknown);
    expect(decoded.ok).toBe(false);
  });

  it('throws only E_ENVELOPE on any truncation or corruption of a batch frame', () => {
    const good = encodeWireFrame(
      createEnvelope('dissonance.batch', encodeBatch({ x: Float32Array.of(1, 2, 3, 4), rows: 2, ids: ['a', 'b'] }, 2), {
        traceparent: TRACEPARENT,
      }),
    );
    const goodCopy = Uint8Array.from(good);
    fc.assert(
      fc.property(fc.nat(goodCopy.length - 1), fc.nat(goodCopy.length - 1), fc.nat(255), (cut, at, byte) => {
        const corrupted = Uint8Array.from(goodCopy);
        corrupted[at] = byte;
        for (const bytes of [goodCopy.subarray(0, cut), corrupted]) {
          try {
            decodeWireFrame(bytes);
          } catch (error) {
            expect(isDissonanceError(error) && error.code).toBe('E_ENVELOPE');
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
