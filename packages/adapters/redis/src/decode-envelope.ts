import { errorText, parseEnvelope, readWireValue, type Envelope } from '@dissonance/core';

/** What an entry's `envelope` field decoded to: the envelope, or why it is unusable and what it held. */
export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly error: string; readonly value: unknown };

/**
 * Decodes an entry's `envelope` field — core's binary wire frame, or envelope JSON written by an earlier
 * release or another producer — and validates it with core's `parseEnvelope`; never throws. An unusable one
 * keeps what it held for the dead letter: the decoded value, or the field as text.
 */
export function decodeEnvelope(raw: Buffer | undefined): Decoded {
  if (raw === undefined) return { ok: false, error: 'E_ENVELOPE: stream entry has no envelope field', value: null };
  let value: unknown;
  try {
    value = readWireValue(raw);
  } catch (error) {
    return { ok: false, error: errorText(error), value: raw.toString('utf8') };
  }
  try {
    return { ok: true, envelope: parseEnvelope(value) };
  } catch (error) {
    return { ok: false, error: errorText(error), value };
  }
}
