import { errorText, parseEnvelope, type Envelope } from '@dissonance/core';

/** What an entry's `envelope` field decoded to: the envelope, or why it is unusable and what it held. */
export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly error: string; readonly value: unknown };

/** Parses the JSON of an entry and validates it with core's `parseEnvelope`; never throws. */
export function decodeEnvelope(raw: string | undefined): Decoded {
  if (raw === undefined) return { ok: false, error: 'E_ENVELOPE: stream entry has no envelope field', value: null };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return { ok: false, error: `E_ENVELOPE: envelope is not JSON: ${errorText(error)}`, value: raw };
  }
  try {
    return { ok: true, envelope: parseEnvelope(value) };
  } catch (error) {
    return { ok: false, error: errorText(error), value };
  }
}

