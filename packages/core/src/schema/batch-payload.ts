import { z } from 'zod';
import { DissonanceError } from '../errors.js';
import type { Batch } from '../ports/batch.js';
import { decodeFloat32 } from '../util/base64.js';
import { checkFiniteRows } from './finite-values.js';
import { DEFAULT_HEADROOM, float32WithHeadroom } from './frame-headroom.js';

/** Envelope type of a batch of items on a queue. */
export const BATCH_MESSAGE_TYPE = 'dissonance.batch';

/**
 * A batch as it travels in an envelope: features as a `Float32Array` (bytes on the queue adapters' binary wire
 * frame) or, in envelope JSON, as base64 of the little-endian float32 bytes — never JSON arrays of numbers.
 */
export const batchPayloadSchema = z
  .object({
    rows: z.number().int().positive(),
    width: z.number().int().positive(),
    x: z.union([z.instanceof(Float32Array), z.string()]),
    ids: z.array(z.string().min(1).max(200)).optional(),
  })
  .strict();

/** Wire form of a {@link Batch}. */
export type BatchPayload = z.infer<typeof batchPayloadSchema>;

/**
 * Encodes a batch for a queue: its first `rows × width` features copied into a fresh `Float32Array` (so later
 * writes to the batch do not change a queued message), which the adapters carry as raw bytes and
 * `envelopeToJson` as base64. The copy keeps room in front of it where the wire frame's header is written, so
 * publishing it costs no second copy.
 */
export function encodeBatch(batch: Batch, width: number): BatchPayload {
  let headroom = DEFAULT_HEADROOM;
  // The header lists the ids: keep room for them too (3 bytes per UTF-16 unit at most, quotes and comma).
  for (const id of batch.ids ?? []) headroom += id.length * 3 + 3;
  return {
    rows: batch.rows,
    width,
    x: float32WithHeadroom(batch.x.subarray(0, batch.rows * width), headroom),
    ...(batch.ids === undefined ? {} : { ids: [...batch.ids] }),
  };
}

/**
 * Decodes and checks a batch payload (features as a `Float32Array` or as base64); throws `E_ENVELOPE` naming the
 * problem — a NaN or ±Infinity feature by row and column (`details.row`, `details.column`). A `Float32Array` is
 * used as it is, not copied.
 */
export function decodeBatch(payload: unknown): Batch {
  if (plainBatch(payload)) {
    const { rows, width, x, ids } = payload as { rows: number; width: number; x: Float32Array; ids?: string[] };
    if (x.length === rows * width) {
      checkFiniteRows(x, width, 'E_ENVELOPE', 'invalid batch payload');
      return ids === undefined ? { x, rows } : { x, rows, ids };
    }
  }
  const parsed = batchPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DissonanceError(
      'E_ENVELOPE',
      `invalid batch payload at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const x = typeof parsed.data.x === 'string' ? decodeFloat32(parsed.data.x) : parsed.data.x;
  if (x.length !== parsed.data.rows * parsed.data.width) {
    throw new DissonanceError(
      'E_ENVELOPE',
      `batch payload holds ${x.length} values, expected rows × width = ${parsed.data.rows * parsed.data.width}`,
    );
  }
  checkFiniteRows(x, parsed.data.width, 'E_ENVELOPE', 'invalid batch payload');
  return { x, rows: parsed.data.rows, ...(parsed.data.ids === undefined ? {} : { ids: parsed.data.ids }) };
}

const BATCH_FIELDS = new Set(['rows', 'width', 'x', 'ids']);

/**
 * The common case of {@link batchPayloadSchema} checked by hand, for a plain object whose features are a
 * `Float32Array` (what the binary wire frame delivers): every check is the schema's own, and anything else goes
 * to zod, which decides and names the problem. Also what the batch frame (wire format 2) carries.
 */
export function plainBatch(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const p = value as Record<string, unknown>;
  for (const key in p) if (!BATCH_FIELDS.has(key) || !Object.hasOwn(p, key)) return false;
  const { rows, width, x, ids } = p;
  if (!(Number.isSafeInteger(rows) && (rows as number) > 0 && Number.isSafeInteger(width) && (width as number) > 0))
    return false;
  if (!(x instanceof Float32Array)) return false;
  if (ids === undefined) return !Object.hasOwn(p, 'ids');
  if (!Array.isArray(ids)) return false;
  for (const id of ids as unknown[]) if (typeof id !== 'string' || id.length < 1 || id.length > 200) return false;
  return true;
}
