import { DissonanceError, createEnvelope, envelopeToJson, parseEnvelope, type Envelope } from '@dissonance/core';
import { errorText } from './backoff.js';

/** Envelope type of the stand-in that carries an undecodable message to the dead-letter topic. */
export const INVALID_MESSAGE_TYPE = 'dissonance.invalid-message';

/** Most characters of an undecodable body kept in its dead letter. */
const MAX_INVALID_BODY = 65_536;

/** A received body: the envelope, or why it is not one. */
export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly error: string; readonly standIn: Envelope<{ body: string }> };

/** Bodies already encoded, by envelope object: `publish` encodes once to check, the publisher reuses it. */
const encoded = new WeakMap<Envelope, Buffer>();

/**
 * JSON-encodes a validated envelope; throws `E_ENVELOPE` when the payload is not JSON-serializable. The body is
 * remembered for the same (validated, so not to be mutated) envelope object, so encoding it again is free.
 */
export function encodeEnvelope(envelope: Envelope): Buffer {
  let body = encoded.get(envelope);
  if (body === undefined) {
    body = Buffer.from(envelopeToJson(envelope), 'utf8');
    encoded.set(envelope, body);
  }
  return body;
}

/**
 * Parses and validates a received body. An invalid one yields the error and a stand-in envelope of type
 * {@link INVALID_MESSAGE_TYPE} whose payload holds the body as text, for the dead letter.
 */
export function decodeEnvelope(content: Buffer): Decoded {
  const text = content.toString('utf8');
  try {
    const envelope = parseEnvelope(JSON.parse(text) as unknown);
    return { ok: true, envelope: Object.freeze(envelope) };
  } catch (error) {
    const reason = error instanceof DissonanceError ? error.message : `E_ENVELOPE: invalid envelope: ${errorText(error)}`;
    return { ok: false, error: reason, standIn: createEnvelope(INVALID_MESSAGE_TYPE, { body: text.slice(0, MAX_INVALID_BODY) }) };
  }
}
