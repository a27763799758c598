import { expect } from 'vitest';
import { isDissonanceError } from '../../src/index.js';

/** The bytes of `values`, for bit-for-bit comparisons (NaN, −0). */
export function bytesOf(values: Float32Array): number[] {
  return [...new Uint8Array(values.buffer, values.byteOffset, values.byteLength)];
}

/** Asserts that `run` throws `E_ENVELOPE` with a message matching `message`. */
export function expectEnvelopeError(run: () => unknown, message: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(isDissonanceError(error) && error.code).toBe('E_ENVELOPE');
    expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected E_ENVELOPE');
}

/** A wire frame assembled by hand: magic of format `version`, the header's length, `header`, then `body`. */
export function frameBytes(
  version: number,
  header: ArrayLike<number>,
  body: Uint8Array = new Uint8Array(),
): Uint8Array {
  const frame = new Uint8Array(8 + header.length + body.length);
  frame.set([0, 0x44, 0x46, version]);
  new DataView(frame.buffer).setUint32(4, header.length, true);
  frame.set(header, 8);
  frame.set(body, 8 + header.length);
  return frame;
}
