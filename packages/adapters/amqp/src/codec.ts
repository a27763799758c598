import type { Envelope } from '@dissonance/core';
import { createEnvelope, encodeWireFrame, tryDecodeWireFrame, type WireFormat } from '@dissonance/core/adapter-kit';

/** `content-type` of a published message: core's binary wire frame (a binary or JSON header, then raw float32 bytes). */
export const WIRE_CONTENT_TYPE = 'application/vnd.dissonance.frame';

/** Envelope type of the stand-in that carries an undecodable message to the dead-letter topic. */
export const INVALID_MESSAGE_TYPE = 'dissonance.invalid-message';

/** Most characters of an undecodable body kept in its dead letter. */
const MAX_INVALID_BODY = 65_536;

/** A received body: the envelope, or why it is not one. */
export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly error: string; readonly standIn: Envelope<{ body: string }> };

/** Bodies already encoded, by format and envelope object: `publish` encodes once to check, the publisher reuses it. */
const encoded: Record<WireFormat, WeakMap<Envelope, Buffer>> = { 1: new WeakMap(), 2: new WeakMap() };

/**
 * Encodes a validated envelope as core's binary wire frame of `format` (`encodeWireFrame`); throws `E_ENVELOPE`
 * when the payload cannot be serialized. The body is remembered for the same (validated, so not to be mutated)
 * envelope object, so encoding it again is free.
 */
export function encodeEnvelope(envelope: Envelope, format: WireFormat): Buffer {
  const bodies = encoded[format];
  let body = bodies.get(envelope);
  if (body === undefined) {
    const frame = encodeWireFrame(envelope, undefined, format);
    body = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    bodies.set(envelope, body);
  }
  return body;
}

/**
 * Decodes and validates a received body: a wire frame, or envelope JSON from an earlier release or another
 * producer. An invalid one yields the error and a stand-in envelope of type {@link INVALID_MESSAGE_TYPE} whose
 * payload holds the body as text, for the dead letter.
 */
export function decodeEnvelope(content: Buffer): Decoded {
  const decoded = tryDecodeWireFrame(content);
  if (decoded.ok) return { ok: true, envelope: Object.freeze(decoded.envelope) };
  const text = content.subarray(0, MAX_INVALID_BODY * 4).toString('utf8');
  return {
    ok: false,
    error: decoded.error,
    standIn: createEnvelope(INVALID_MESSAGE_TYPE, { body: text.slice(0, MAX_INVALID_BODY) }),
  };
}
