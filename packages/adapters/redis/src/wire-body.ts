import { encodeWireFrame, type Envelope } from '@dissonance/core';

/** An envelope as core's binary wire frame, as the Buffer `XADD` and the settlement scripts take (no copy). */
export function wireBody(envelope: Envelope): Buffer {
  const frame = encodeWireFrame(envelope);
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
