import { DissonanceError, parseKeyList, type KeyProvider } from '@dissonance/core';

/** The environment variable holding encryption keys: `kid1:base64key,kid2:base64key`, the FIRST one current. */
export const ENCRYPTION_KEYS_ENV = 'DISSONANCE_ENCRYPTION_KEYS';

/**
 * The default {@link KeyProvider}: keys from `DISSONANCE_ENCRYPTION_KEYS` (or `variable`) as
 * `kid1:base64key,kid2:base64key`, each key 32 random bytes in base64. The FIRST entry is the current key (new
 * writes); the others stay readable. To rotate, prepend the new key and keep the old ones until no data needs
 * them. Unset, empty or malformed → `E_CONFIG` (the message never echoes key material).
 */
export function envKeyProvider(
  env: Readonly<Record<string, string | undefined>> = process.env,
  variable = ENCRYPTION_KEYS_ENV,
): KeyProvider {
  const text = env[variable];
  if (text === undefined || text.trim().length === 0) {
    throw new DissonanceError('E_CONFIG', `${variable} is not set: expected "keyId:base64key[,keyId:base64key…]"`, {
      details: { field: variable },
    });
  }
  try {
    return parseKeyList(text);
  } catch (error) {
    throw new DissonanceError('E_CONFIG', `${variable}: ${error instanceof Error ? error.message : String(error)}`, {
      details: { field: variable },
    });
  }
}
