import { describe, expect, it } from 'vitest';
import { isDissonanceError } from '../../src/errors.js';
import { createEnvelope, parseEnvelope } from '../../src/schema/envelope.js';

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
    expect(envelope).toMatchObject({ v: 1, type: 'item', attempt: 1, createdAt: '1970-01-01T00:00:00.000Z', traceparent: TRACEPARENT });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(createEnvelope('item', null, { id: 'fixed' }).id).toBe('fixed');
    expect(parseEnvelope(envelope)).toEqual(envelope);
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
