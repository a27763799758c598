import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvelopeCipher, generateEncryptionKey, generateSigningKeyPair } from '@dissonance/core';
import { bytesToBase64 } from '@dissonance/core/adapter-kit';
import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { envKeyProvider, isProductionMode, securityFromEnv } from '../../src/index.js';
import { tempDir } from '../files/fixtures/temp-dir.js';

describe('envKeyProvider', () => {
  it('reads kid:base64 pairs with the FIRST as current, and decrypts data of the others', async () => {
    const a = generateEncryptionKey();
    const b = generateEncryptionKey();
    const old = new EnvelopeCipher(envKeyProvider({ DISSONANCE_ENCRYPTION_KEYS: `b:${bytesToBase64(b)}` }));
    const sealed = await old.seal(Uint8Array.of(1, 2, 3));
    const provider = envKeyProvider({ DISSONANCE_ENCRYPTION_KEYS: `a:${bytesToBase64(a)},b:${bytesToBase64(b)}` });
    expect(provider.currentKeyId()).toBe('a');
    expect(await new EnvelopeCipher(provider).open(sealed)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('is E_CONFIG when unset or malformed, without echoing the key', async () => {
    await expectCode(() => envKeyProvider({}), 'E_CONFIG');
    const secret = bytesToBase64(generateEncryptionKey()).slice(0, 20);
    const error = await expectCode(() => envKeyProvider({ DISSONANCE_ENCRYPTION_KEYS: `a:${secret}` }), 'E_CONFIG');
    expect(error.message).not.toContain(secret);
  });
});

describe('securityFromEnv and production mode', () => {
  it('production mode is DISSONANCE_MODE=production, or NODE_ENV=production when DISSONANCE_MODE is unset', () => {
    expect(isProductionMode({ DISSONANCE_MODE: 'production' })).toBe(true);
    expect(isProductionMode({ NODE_ENV: 'production' })).toBe(true);
    expect(isProductionMode({ NODE_ENV: 'production', DISSONANCE_MODE: 'development' })).toBe(false);
    expect(isProductionMode({})).toBe(false);
  });

  it('production mode requires trusted keys, a required signature and encryption keys', async () => {
    const dir = await tempDir('security-env');
    try {
      const pair = await generateSigningKeyPair();
      const pub = join(dir.path, 'pub.jwk');
      const priv = join(dir.path, 'key.jwk');
      await writeFile(pub, JSON.stringify(pair.publicKey));
      await writeFile(priv, JSON.stringify(pair.privateKey), { mode: 0o600 });
      const keys = `k1:${bytesToBase64(generateEncryptionKey())}`;
      const production = { DISSONANCE_MODE: 'production' };
      await expectCode(securityFromEnv({ ...production, DISSONANCE_ENCRYPTION_KEYS: keys }), 'E_CONFIG');
      await expectCode(securityFromEnv({ ...production, DISSONANCE_TRUSTED_KEYS: pub }), 'E_CONFIG');
      await expectCode(
        securityFromEnv({
          ...production,
          DISSONANCE_TRUSTED_KEYS: pub,
          DISSONANCE_ENCRYPTION_KEYS: keys,
          DISSONANCE_TRUST_REQUIRE: 'false',
        }),
        'E_CONFIG',
      );
      const settings = await securityFromEnv({
        ...production,
        DISSONANCE_TRUSTED_KEYS: pub,
        DISSONANCE_ENCRYPTION_KEYS: keys,
        DISSONANCE_SIGNING_KEY: priv,
      });
      expect(settings.production).toBe(true);
      expect(settings.trust?.require).toBe(true);
      expect(settings.trust?.keys).toHaveLength(1);
      expect(settings.signing?.privateKey).toContain(pair.keyId);
      expect(settings.encryption?.currentKeyId()).toBe('k1');
      // Outside production, nothing is required and require may be turned off.
      const dev = await securityFromEnv({ DISSONANCE_TRUSTED_KEYS: pub, DISSONANCE_TRUST_REQUIRE: 'false' });
      expect(dev).toMatchObject({ production: false, trust: { require: false } });
      expect(dev.encryption).toBeUndefined();
      await expectCode(securityFromEnv({ DISSONANCE_TRUSTED_KEYS: join(dir.path, 'missing.jwk') }), 'E_CONFIG');
    } finally {
      await dir.remove();
    }
  });
});
