import type { Batch, Envelope } from '../../packages/core/src/index.js';
import {
  createEnvelope,
  decodeBatch,
  encodeBatch,
  encodeWireFrame,
  type BatchPayload,
} from '../../packages/core/src/adapter-kit/index.js';
import { BATCH_MESSAGE_TYPE } from '../../packages/core/src/schema/batch-payload.js';
import { createPrng } from '../../packages/core/src/train/prng.js';

/** Distinct batches the publishers cycle through. */
const POOL = 16;

/** The message workload: `rows × width` float32 features per message. */
export interface Workload {
  readonly rows: number;
  readonly width: number;
  /** Seeded batches, published in turn. */
  readonly batches: readonly Batch[];
  /** The batches encoded once with `encodeBatch`, for the transport-only measurement. */
  readonly payloads: readonly BatchPayload[];
  /** Whole SDK envelopes of the batches as wire frames (`encodeWireFrame`), as the adapters put them on the wire. */
  readonly envelopeBodies: readonly Buffer[];
}

/** What the raw clients carry: the float32 bytes as they are, or the SDK's wire-frame bytes (made ahead of time). */
export type RawBody = 'float32' | 'envelope';

/** A pool of seeded batches of `rows × width` normal features. */
export function makeWorkload(rows: number, width: number): Workload {
  const prng = createPrng(42);
  const batches = Array.from({ length: POOL }, () => ({
    rows,
    x: Float32Array.from({ length: rows * width }, () => prng.normal()),
  }));
  const payloads = batches.map((batch) => encodeBatch(batch, width));
  const envelopeBodies = payloads.map((payload) =>
    Buffer.from(encodeWireFrame(createEnvelope(BATCH_MESSAGE_TYPE, payload))),
  );
  return { rows, width, batches, payloads, envelopeBodies };
}

/** The `i`-th batch of the workload. */
export function batchAt(workload: Workload, i: number): Batch {
  return workload.batches[i % workload.batches.length]!;
}

/** What the SDK publishes for a batch: a fresh `dissonance.batch` envelope of `encodeBatch` (a float32 copy). */
export function sdkEnvelope(workload: Workload, i: number): Envelope<BatchPayload> {
  return createEnvelope(BATCH_MESSAGE_TYPE, encodeBatch(batchAt(workload, i), workload.width));
}

/**
 * A fresh batch envelope whose payload was encoded ahead of time: isolates the transport's own cost from the
 * batch codec's (the consumer side then skips `decodeBatch`).
 */
export function preEncodedEnvelope(workload: Workload, i: number): Envelope<BatchPayload> {
  return createEnvelope(BATCH_MESSAGE_TYPE, workload.payloads[i % workload.payloads.length]!);
}

/** What an SDK consumer does with a delivered batch envelope: decode and check it. Throws on a wrong shape. */
export function sdkReceive(workload: Workload, envelope: Envelope): Batch {
  const batch = decodeBatch(envelope.payload);
  checkShape(workload, batch.x.length);
  return batch;
}

/**
 * What a raw client publishes: the batch's little-endian float32 bytes (a view, no copy), or with `envelope` the
 * `i`-th ready-made SDK wire frame (to separate the broker's cost of the SDK's body from the adapter's).
 */
export function rawBody(workload: Workload, i: number, body: RawBody = 'float32'): Buffer {
  if (body === 'envelope') return workload.envelopeBodies[i % workload.envelopeBodies.length]!;
  const { x } = batchAt(workload, i);
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

/**
 * What a raw consumer does with a received body: copy the float32 bytes into an aligned `Float32Array` and check
 * the size; an `envelope` body is only checked to be non-empty (not parsed).
 */
export function rawReceive(workload: Workload, body: Uint8Array, kind: RawBody = 'float32'): Float32Array | undefined {
  if (kind === 'envelope') {
    if (body.byteLength === 0) throw new Error('bench: received an empty body');
    return undefined;
  }
  const x = new Float32Array(body.byteLength / 4);
  new Uint8Array(x.buffer).set(body);
  checkShape(workload, x.length);
  return x;
}

function checkShape(workload: Workload, values: number): void {
  if (values !== workload.rows * workload.width) {
    throw new Error(`bench: received ${values} values, expected ${workload.rows} × ${workload.width}`);
  }
}
