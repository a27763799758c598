import { tryDecodeWireFrame, type WireDecoded } from '@dissonance/core/adapter-kit';

/**
 * Decodes an entry's `envelope` field — core's binary wire frame, or envelope JSON written by an earlier
 * release or another producer — and validates it (core's `tryDecodeWireFrame`); never throws. An unusable one
 * keeps what it held for the dead letter.
 */
export function decodeEnvelope(raw: Buffer | undefined): WireDecoded {
  if (raw === undefined) return { ok: false, error: 'E_ENVELOPE: stream entry has no envelope field', value: null };
  return tryDecodeWireFrame(raw);
}
