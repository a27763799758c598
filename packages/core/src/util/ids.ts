/** Random bytes drawn from WebCrypto 4 KiB at a time (as Node's own `randomUUID` caches them). */
const pool = new Uint8Array(4096);
let used = pool.length;

/** ASCII of the two hex digits of every byte value. */
const HEX = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX[2 * byte] = digits.charCodeAt(0);
  HEX[2 * byte + 1] = digits.charCodeAt(1);
}

/** Where the two hex digits of each of the 16 bytes go in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const DASH = 0x2d;
const text = new Uint8Array(36);
text[8] = text[13] = text[18] = text[23] = DASH;
const ascii = new TextDecoder('latin1');

/**
 * A random, unique id (RFC 4122 version 4 UUID) from WebCrypto: for envelope ids, test topics, and
 * anything else that must not collide. Same format and randomness as `crypto.randomUUID()`; written as bytes
 * and decoded once, so that one id is one small string (not the dozens of joined pieces `randomUUID` makes
 * in Node, which a queue publishing thousands of envelopes a second pays for in garbage collection).
 */
export function randomId(): string {
  if (used + 16 > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  for (let i = 0; i < 16; i++) {
    let byte = pool[used + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    text[AT[i]!] = HEX[2 * byte]!;
    text[AT[i]! + 1] = HEX[2 * byte + 1]!;
  }
  used += 16;
  return ascii.decode(text);
}
