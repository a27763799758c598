/** Whether this platform stores typed arrays little-endian (every current JS engine on x86 and ARM). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The bytes of `values` in little-endian order: a view on a little-endian platform, a copy otherwise. */
export function float32ToLittleEndian(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return bytes;
}

/**
 * Float32 values from little-endian bytes (a whole number of 4-byte values; the caller checks). A view when the
 * platform is little-endian and `bytes` is 4-byte aligned and `copy` is false, a fresh array otherwise.
 */
export function float32FromLittleEndian(bytes: Uint8Array, copy = false): Float32Array {
  if (LITTLE_ENDIAN) {
    if (!copy && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const values = new Float32Array(bytes.length / 4);
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}
