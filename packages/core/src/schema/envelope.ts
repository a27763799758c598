import { z } from 'zod';
import { DissonanceError } from '../errors.js';
import { ENVELOPE_VERSION, type Envelope } from '../ports/transport.js';
import { randomId } from '../util/ids.js';

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
 * Checks that `value` is a valid {@link Envelope}; returns it typed. Throws `E_ENVELOPE` naming the first
 * offending field (`details.field`) otherwise.
 */
export function parseEnvelope(value: unknown): Envelope {
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

/** A new, validated envelope (attempt 1) for `payload`; throws `E_ENVELOPE` on a bad field. */
export function createEnvelope<P>(type: string, payload: P, options: CreateEnvelopeOptions = {}): Envelope<P> {
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now) || Math.abs(now) > MAX_DATE_MS) {
    throw new DissonanceError('E_ENVELOPE', `invalid envelope: createdAt: ${now} is not a time`, {
      details: { field: 'createdAt' },
    });
  }
  const envelope: Envelope<P> = {
    v: ENVELOPE_VERSION,
    id: options.id ?? randomId(),
    type,
    attempt: 1,
    createdAt: new Date(now).toISOString(),
    ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
    ...(options.tracestate === undefined ? {} : { tracestate: options.tracestate }),
    payload,
  };
  parseEnvelope(envelope);
  return envelope;
}

/**
 * JSON text of a validated envelope, for transports that carry envelopes as JSON; throws `E_ENVELOPE`
 * (field `payload`) when the payload cannot be serialized (a cycle, a BigInt).
 */
export function envelopeToJson(envelope: Envelope): string {
  try {
    return JSON.stringify(envelope);
  } catch (error) {
    throw new DissonanceError(
      'E_ENVELOPE',
      `invalid envelope: payload: not JSON-serializable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { field: 'payload' } },
    );
  }
}
