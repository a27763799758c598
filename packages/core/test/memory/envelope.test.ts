import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDissonanceError } from '../../src/errors.js';
import { createEnvelope, envelopeSchema, parseEnvelope } from '../../src/schema/envelope.js';
import { mutatedRecords } from '../mutated-records.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function fieldOf(value: unknown): unknown {
  try {
    parseEnvelope(value);
  } catch (error) {
    return isDissonanceError(error, 'E_ENVELOPE') ? error.details['field'] : error;
  }
  return 'accepted';
}

describe('envelope schema', () => {
  it('creates valid envelopes: attempt 1, random id, ISO time, trace context', () => {
    const envelope = createEnvelope('item', { n: 1 }, { traceparent: TRACEPARENT, tracestate: 'a=b', now: 0 });
    expect(envelope).toMatchObject({
      v: 1,
      type: 'item',
      attempt: 1,
      createdAt: '1970-01-01T00:00:00.000Z',
      traceparent: TRACEPARENT,
    });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(createEnvelope('item', null, { id: 'fixed' }).id).toBe('fixed');
    expect(parseEnvelope(envelope)).toEqual(envelope);
  });

  it('accepts exactly what the zod schema accepts (its fast path never lets more through)', () => {
    const good = { ...createEnvelope('item', { n: 1 }, { traceparent: TRACEPARENT, tracestate: 'a=b' }) };
    const fields = [
      'v',
      'id',
      'type',
      'attempt',
      'createdAt',
      'traceparent',
      'tracestate',
      'payload',
      'extra',
    ] as const;
    const value = fc.oneof(
      fc.anything(),
      fc.constantFrom(
        1,
        2,
        0,
        -1,
        1.5,
        2 ** 53,
        '',
        'x'.repeat(200),
        'x'.repeat(201),
        'x'.repeat(513),
        undefined,
        null,
      ),
      fc.constantFrom(
        '2026-02-29T00:00:00Z',
        '2024-02-29T00:00:00Z',
        '2026-11-26T25:00:00Z',
        '2026-11-26T12:00:00+01:00',
        '2026-11-26T12:00:00.123456Z',
        '2026-11-26 12:00:00Z',
      ),
      fc.constantFrom(TRACEPARENT, TRACEPARENT.toUpperCase(), `${TRACEPARENT}-`),
    );
    fc.assert(
      fc.property(mutatedRecords(good, fields, value), (candidate) => {
        const zodSays = envelopeSchema.safeParse(candidate).success;
        expect(fieldOf(candidate) === 'accepted').toBe(zodSays);
      }),
      { numRuns: 3000 },
    );
    expect(fieldOf({ ...good, createdAt: '2026-02-29T00:00:00Z' })).toBe('createdAt');
    const withProto = Object.assign(Object.create({ inherited: 1 }), good) as unknown;
    expect(fieldOf(withProto) === 'accepted').toBe(envelopeSchema.safeParse(withProto).success);
  });

  it('names the offending field', () => {
    const good = createEnvelope('item', { n: 1 });
    expect(fieldOf({ ...good, v: 2 })).toBe('v');
    expect(fieldOf({ ...good, id: '' })).toBe('id');
    expect(fieldOf({ ...good, id: 'x'.repeat(201) })).toBe('id');
    expect(fieldOf({ ...good, type: '' })).toBe('type');
    expect(fieldOf({ ...good, attempt: 0 })).toBe('attempt');
    expect(fieldOf({ ...good, attempt: 1.5 })).toBe('attempt');
    expect(fieldOf({ ...good, createdAt: 'yesterday' })).toBe('createdAt');
    expect(fieldOf({ ...good, traceparent: TRACEPARENT.toUpperCase() })).toBe('traceparent');
    expect(fieldOf({ ...good, extra: 1 })).toBe('extra');
    const { payload: _payload, ...noPayload } = good;
    expect(fieldOf(noPayload)).toBe('payload');
    expect(fieldOf(null)).toBe('');
  });

  it('refuses to create an envelope with a bad field', () => {
    expect(() => createEnvelope('', 1)).toThrow(/E_ENVELOPE: invalid envelope: type/);
    expect(() => createEnvelope('item', 1, { traceparent: 'nope' })).toThrow(/traceparent/);
    expect(() => createEnvelope('item', 1, { now: Number.NaN })).toThrow(/createdAt/);
  });
});
