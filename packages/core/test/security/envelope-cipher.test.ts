import { describe, expect, it } from 'vitest';
import { EnvelopeCipher, generateEncryptionKey, parseKeyList, staticKeyProvider } from '../../src/index.js';
import { SEALED_TEXT_PREFIX } from '../../src/security/envelope-cipher.js';
import { bytesToBase64 } from '../../src/security/base64-bytes.js';
import { expectCode } from '../../src/testing/index.js';

const text = new TextEncoder();

describe('EnvelopeCipher (AES-256-GCM)', () => {
  it('round-trips bytes and text, with a fresh IV each time', async () => {
    const cipher = new EnvelopeCipher(staticKeyProvider([['k1', generateEncryptionKey()]]));
    const plain = text.encode('feature 0.123456 and more');
    const a = await cipher.seal(plain);
    const b = await cipher.seal(plain);
    expect(a).not.toEqual(b);
    expect(await cipher.open(a)).toEqual(plain);
    expect(EnvelopeCipher.isSealed(a)).toBe(true);
    expect(EnvelopeCipher.isSealed(plain)).toBe(false);
    const line = await cipher.sealText('{"x":1}');
    expect(line.startsWith(SEALED_TEXT_PREFIX)).toBe(true);
    expect(EnvelopeCipher.isSealedText(line)).toBe(true);
    expect(line).not.toContain('\n');
    expect(await cipher.openText(line)).toBe('{"x":1}');
  });

  it('a flipped byte anywhere — header, key id, IV, ciphertext or tag — is E_DECRYPT, never garbage', async () => {
    const cipher = new EnvelopeCipher(staticKeyProvider([['k1', generateEncryptionKey()]]));
    const sealed = await cipher.seal(text.encode('0.5,0.25,0.125'));
    for (let at = 0; at < sealed.length; at++) {
      const damaged = sealed.slice();
      damaged[at] = (damaged[at] ?? 0) ^ 0x04;
      await expectCode(cipher.open(damaged), 'E_DECRYPT');
    }
    await expectCode(cipher.open(sealed.subarray(0, sealed.length - 1)), 'E_DECRYPT');
    await expectCode(cipher.open(sealed.subarray(0, 20)), 'E_DECRYPT');
    await expectCode(cipher.open(text.encode('{"plain":true}')), 'E_DECRYPT');
    await expectCode(cipher.openText('not base64 !'), 'E_DECRYPT');
  });

  it('after a rotation new data uses the new key and old data stays readable by its key id', async () => {
    const oldKey = generateEncryptionKey();
    const newKey = generateEncryptionKey();
    const before = new EnvelopeCipher(parseKeyList(`old:${bytesToBase64(oldKey)}`));
    const sealedOld = await before.seal(text.encode('old'));
    const after = new EnvelopeCipher(parseKeyList(`new:${bytesToBase64(newKey)}, old:${bytesToBase64(oldKey)}`));
    const sealedNew = await after.seal(text.encode('new'));
    expect(new TextDecoder().decode(sealedNew.subarray(6, 9))).toBe('new');
    expect(new TextDecoder().decode(await after.open(sealedOld))).toBe('old');
    expect(new TextDecoder().decode(await after.open(sealedNew))).toBe('new');
    // Without the old key the old data is unreadable, with a clear error.
    const forgot = new EnvelopeCipher(parseKeyList(`new:${bytesToBase64(newKey)}`));
    const error = await expectCode(forgot.open(sealedOld), 'E_DECRYPT');
    expect(error.message).toContain('old');
    // A different key under the same id does not authenticate.
    const impostor = new EnvelopeCipher(staticKeyProvider([['old', generateEncryptionKey()]]));
    await expectCode(impostor.open(sealedOld), 'E_DECRYPT');
  });

  it('parses key lists strictly and never echoes key material', async () => {
    const key = bytesToBase64(generateEncryptionKey());
    expect(parseKeyList(`a:${key},b:${bytesToBase64(generateEncryptionKey())}`).currentKeyId()).toBe('a');
    for (const bad of ['', 'nokey', `a:${key},a:${key}`, 'a:c2hvcnQ=', `bad id:${key}`]) {
      const error = await expectCode(() => parseKeyList(bad), 'E_CONFIG');
      expect(error.message).not.toContain(key);
    }
    await expectCode(() => staticKeyProvider([['a', generateEncryptionKey()]], 'b'), 'E_CONFIG');
    await expectCode(() => new EnvelopeCipher({} as never), 'E_CONFIG');
  });

  it('handles key ids up to 64 characters, and authenticates the key id in the header', async () => {
    const long = 'k'.repeat(64);
    const cipher = new EnvelopeCipher(staticKeyProvider([[long, generateEncryptionKey()]]));
    const line = await cipher.sealText('x');
    expect(EnvelopeCipher.isSealedText(line)).toBe(true);
    expect(await cipher.openText(line)).toBe('x');
    const both = new EnvelopeCipher(
      staticKeyProvider([
        ['ka', generateEncryptionKey()],
        ['kb', generateEncryptionKey()],
      ]),
    );
    const sealed = await both.seal(text.encode('secret'));
    const relabelled = sealed.slice();
    relabelled[7] = 'b'.charCodeAt(0);
    await expectCode(both.open(relabelled), 'E_DECRYPT');
  });
});
