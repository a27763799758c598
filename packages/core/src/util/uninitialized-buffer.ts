/** Node's `Buffer.allocUnsafeSlow`, reached through globalThis (absent in browsers). */
const allocUnsafeSlow = (globalThis as { Buffer?: { allocUnsafeSlow?: (size: number) => Uint8Array } }).Buffer?.allocUnsafeSlow;

/**
 * A fresh ArrayBuffer of exactly `size` bytes, all of them the caller's to overwrite: uninitialized where the
 * platform offers that (Node: `Buffer.allocUnsafeSlow`, about half the cost of a zero-filled one for 8 KiB),
 * zero-filled elsewhere. Never a slice of a shared pool, so a typed array over it may be kept and transferred.
 */
export function uninitializedBuffer(size: number): ArrayBuffer {
  if (allocUnsafeSlow !== undefined) {
    const bytes = allocUnsafeSlow(size);
    if (bytes.byteOffset === 0 && bytes.buffer.byteLength === size && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  }
  return new ArrayBuffer(size);
}
