import { z } from 'zod';
import { regexes } from 'zod/v4/core';
import { DissonanceError } from '../errors.js';
import { ENVELOPE_VERSION, type Envelope } from '../ports/transport.js';
import { randomId } from '../util/ids.js';
import { binariesToBase64 } from './payload-binaries.js';

/** W3C `traceparent`: version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** Largest epoch-millisecond magnitude a `Date` can hold. */
const MAX_DATE_MS = 8.64e15;

/**
 * The wire envelope, strict: unknown fields are rejected. `payload` is required (it may be `null`) and is
 * checked by the consumer of each `type`, not here.
 */
export const envelopeSchema = z.strictObject({
  v: z.literal(ENVELOPE_VERSION),
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  attempt: z.number().int().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  traceparent: z.string().regex(TRACEPARENT).optional(),
  tracestate: z.string().max(512).optional(),
  payload: z.unknown(),
});

/**
 * Envelopes {@link createEnvelope} made: validated and frozen, so their fields cannot have changed since.
 * Checking one again is free (the publish that follows `createEnvelope`).
 */
const validated = new WeakSet<object>();

/**
 * Checks that `value` is a valid {@link Envelope}; returns it typed. Throws `E_ENVELOPE` naming the first
 * offending field (`details.field`) otherwise. An envelope made by {@link createEnvelope} is returned at once.
 */
export function parseEnvelope(value: unknown): Envelope {
  if (typeof value === 'object' && value !== null && validated.has(value)) return value as Envelope;
  if (plainlyValid(value)) return value;
  const result = envelopeSchema.safeParse(value);
  if (result.success) return result.data as Envelope;
  const issue = result.error.issues[0];
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
  const field = keys.length > 0 ? keys.join(', ') : (issue?.path.join('.') ?? '');
  const problem = keys.length > 0 ? 'unknown field' : (issue?.message ?? 'invalid');
  throw new DissonanceError('E_ENVELOPE', `invalid envelope: ${field === '' ? 'envelope' : field}: ${problem}`, {
    details: { field },
  });
}

/** zod's own `z.iso.datetime({ offset: true })` pattern, so the fast path accepts exactly what the schema does. */
const DATETIME = regexes.datetime({ offset: true });
const FIELDS = new Set(['v', 'id', 'type', 'attempt', 'createdAt', 'traceparent', 'tracestate', 'payload']);

/**
 * The common case of {@link envelopeSchema} checked by hand, several times faster than zod, for a plain object.
 * It accepts a subset of what the schema accepts (every check is the schema's own); anything else goes to zod,
 * which decides and names the problem.
 */
function plainlyValid(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const e = value as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!FIELDS.has(key)) return false;
  const { id, type, attempt, createdAt, traceparent, tracestate } = e;
  return (
    e['v'] === ENVELOPE_VERSION &&
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= 200 &&
    typeof type === 'string' &&
    type.length >= 1 &&
    type.length <= 200 &&
    typeof attempt === 'number' &&
    Number.isSafeInteger(attempt) &&
    attempt >= 1 &&
    typeof createdAt === 'string' &&
    DATETIME.test(createdAt) &&
    (traceparent === undefined || (typeof traceparent === 'string' && TRACEPARENT.test(traceparent))) &&
    (tracestate === undefined || (typeof tracestate === 'string' && tracestate.length <= 512)) &&
    Object.hasOwn(e, 'payload')
  );
}

/**
 * The W3C trace context that `value` (an envelope, or whatever an undecodable message held) carries, when it is
 * valid — for the dead letter of a message, so its trace goes on. `{}` otherwise; never throws.
 */
export function traceContextOf(value: unknown): { traceparent?: string; tracestate?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const { traceparent, tracestate } = value as { traceparent?: unknown; tracestate?: unknown };
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent)) return {};
  return typeof tracestate === 'string' && tracestate.length <= 512 ? { traceparent, tracestate } : { traceparent };
}

/** Options of {@link createEnvelope}. */
export interface CreateEnvelopeOptions {
  /** Idempotency id; a random UUID when absent. */
  readonly id?: string;
  /** W3C trace context of the producing span. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** Epoch milliseconds of creation (default `Date.now()`); pass the engine clock's `now()`. */
  readonly now?: number;
}

/**
 * A new, validated envelope (attempt 1) for `payload`, frozen (its payload is not: it is the caller's object);
 * throws `E_ENVELOPE` on a bad field.
 */
export function createEnvelope<P>(type: string, payload: P, options: CreateEnvelopeOptions = {}): Envelope<P> {
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now) || Math.abs(now) > MAX_DATE_MS) {
    throw new DissonanceError('E_ENVELOPE', `invalid envelope: createdAt: ${now} is not a time`, {
      details: { field: 'createdAt' },
    });
  }
  const envelope = envelopeObject(
    options.id ?? randomId(),
    type,
    1,
    isoTime(now),
    options.traceparent,
    options.tracestate,
    payload,
  );
  parseEnvelope(envelope);
  Object.freeze(envelope);
  validated.add(envelope);
  return envelope;
}

/**
 * An envelope object of these fields, not validated: written out per case rather than spread (no temporary
 * objects, one shape per case), absent trace fields left out.
 */
export function envelopeObject<P>(
  id: string,
  type: string,
  attempt: number,
  createdAt: string,
  traceparent: string | undefined,
  tracestate: string | undefined,
  payload: P,
): Envelope<P> {
  if (traceparent === undefined && tracestate === undefined)
    return { v: ENVELOPE_VERSION, id, type, attempt, createdAt, payload };
  return {
    v: ENVELOPE_VERSION,
    id,
    type,
    attempt,
    createdAt,
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(tracestate === undefined ? {} : { tracestate }),
    payload,
  };
}

/** The last time formatted by {@link isoTime}: envelopes made within one millisecond share the string. */
let lastTime = { ms: Number.NaN, iso: '' };

/** `new Date(ms).toISOString()`, formatted once per millisecond. */
function isoTime(ms: number): string {
  if (ms !== lastTime.ms) lastTime = { ms, iso: new Date(ms).toISOString() };
  return lastTime.iso;
}

/**
 * JSON text of a validated envelope, for channels that carry envelopes as JSON (queue adapters send the more
 * compact binary frame of `encodeWireFrame`). `Float32Array` and `Uint8Array` values in the payload become
 * base64 strings, which `decodeBatch` and `decodeFloat32` accept. Throws `E_ENVELOPE` (field `payload`) when
 * the payload cannot be serialized (a cycle, a BigInt).
 */
export function envelopeToJson(envelope: Envelope): string {
  try {
    const payload = binariesToBase64(envelope.payload);
    return JSON.stringify(payload === envelope.payload ? envelope : { ...envelope, payload });
  } catch (error) {
    if (error instanceof DissonanceError) throw error;
    throw new DissonanceError(
      'E_ENVELOPE',
      `invalid envelope: payload: not JSON-serializable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { field: 'payload' } },
    );
  }
}
