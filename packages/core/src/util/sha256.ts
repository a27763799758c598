/**
 * Lower-case hex sha256 of `bytes` (only the bytes the view covers), computed with WebCrypto
 * (`globalThis.crypto.subtle`), which Node 20+ and browsers provide.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', ownBuffer(bytes));
  const view = new Uint8Array(digest);
  let hex = '';
  for (const byte of view) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** WebCrypto takes `ArrayBuffer`-backed views only; copy views of shared memory. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
