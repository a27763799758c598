import type { Envelope } from '@dissonance/core';
import { encodeWireFrame, type WireFormat } from '@dissonance/core/adapter-kit';

/** An envelope as core's binary wire frame of `format`, as the Buffer `XADD` and the settlement scripts take (no copy). */
export function wireBody(envelope: Envelope, format: WireFormat): Buffer {
  const frame = encodeWireFrame(envelope, undefined, format);
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
