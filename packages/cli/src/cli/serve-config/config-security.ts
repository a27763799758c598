import { isDissonanceError } from '@dissonance/core';
import { ENCRYPTION_KEYS_ENV } from '@dissonance/node';
import type { SecuritySettings } from '@dissonance/node';
import { serveSecurity } from '../serve-security.js';
import type { ConfigProblem } from './config-problems.js';
import type { ServeConfig } from './config-schema.js';
import type { Env } from './env-substitution.js';

// Where each variable or flag that serveSecurity names lives in a config file.
const FIELDS: Readonly<Record<string, string>> = {
  DISSONANCE_TRUSTED_KEYS: 'security.trustedKeys',
  DISSONANCE_TRUST_REQUIRE: 'security.requireSignatures',
  DISSONANCE_SIGNING_KEY: 'security.signingKey',
  [ENCRYPTION_KEYS_ENV]: 'security.encryptionKeys',
  '--signing-key': 'security.signingKey',
  '--dev-token-file': 'auth.kind',
};

/**
 * The trust policy, signing key and encryption keys of a serve config, under the same rules as the flags
 * (`serveSecurity`): `security.trustedKeys` add to `DISSONANCE_TRUSTED_KEYS`, `security.signingKey`,
 * `security.requireSignatures` and `security.encryptionKeys` replace `DISSONANCE_SIGNING_KEY`,
 * `DISSONANCE_TRUST_REQUIRE` and `DISSONANCE_ENCRYPTION_KEYS`. Production mode needs all three and refuses a
 * development token.
 *
 * @returns the settings, or the problems (by config path) when the rules refuse them.
 */
export async function configSecurity(config: ServeConfig, env: Env): Promise<SecuritySettings | ConfigProblem[]> {
  const security = config.security;
  const merged: Env = {
    ...env,
    ...(security.requireSignatures === undefined
      ? {}
      : { DISSONANCE_TRUST_REQUIRE: String(security.requireSignatures) }),
    ...(security.encryptionKeys === undefined ? {} : { [ENCRYPTION_KEYS_ENV]: security.encryptionKeys }),
  };
  try {
    return await serveSecurity(
      {
        trustedKeys: security.trustedKeys,
        ...(security.signingKey === undefined ? {} : { signingKey: security.signingKey }),
        ...(config.auth.kind === 'dev-token' ? { devTokenFile: config.auth.file } : {}),
      },
      merged,
    );
  } catch (error) {
    if (!isDissonanceError(error) || error.code !== 'E_CONFIG') throw error;
    const field = typeof error.details.field === 'string' ? error.details.field : '';
    const message = error.message.replace(/^E_CONFIG: /, '').replace(/^\S+ /, '');
    return [
      {
        path: FIELDS[field] ?? 'security',
        message: `${message}${field.startsWith('DISSONANCE_') ? ` (${field})` : ''}`,
      },
    ];
  }
}
