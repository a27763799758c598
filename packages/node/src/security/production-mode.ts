import { DissonanceError, type KeyProvider, type SigningConfig, type TrustPolicy } from '@dissonance/core';
import { ENCRYPTION_KEYS_ENV, envKeyProvider } from './env-key-provider.js';
import { readKeyFile } from './key-files.js';

/** What {@link securityFromEnv} read: ready to pass to `createEngine` (`trust`, `signing`) and the file/S3 ports (`encryption`). */
export interface SecuritySettings {
  /** True in production mode (`DISSONANCE_MODE=production`, or `NODE_ENV=production`). */
  readonly production: boolean;
  readonly trust?: TrustPolicy;
  readonly signing?: SigningConfig;
  readonly encryption?: KeyProvider;
}

/** True when `DISSONANCE_MODE` is `production`, or it is unset and `NODE_ENV` is `production`. */
export function isProductionMode(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const mode = env.DISSONANCE_MODE;
  return mode === undefined || mode === '' ? env.NODE_ENV === 'production' : mode === 'production';
}

/**
 * Reads the security settings from the environment:
 *
 * - `DISSONANCE_TRUSTED_KEYS` — comma-separated paths of public key files (JWK or PEM): the trust policy;
 * - `DISSONANCE_TRUST_REQUIRE` — `false` accepts unsigned artifacts (refused in production mode);
 * - `DISSONANCE_SIGNING_KEY` — path of the private key that signs retrained models;
 * - `DISSONANCE_ENCRYPTION_KEYS` — `kid:base64key,…` (first is current): encryption at rest.
 *
 * Production mode requires trusted keys, a signature on every artifact and encryption keys; anything missing
 * is `E_CONFIG` naming the variable, so a misconfigured service fails at start instead of running open.
 */
export async function securityFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SecuritySettings> {
  const production = isProductionMode(env);
  const paths = (env.DISSONANCE_TRUSTED_KEYS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const requireText = env.DISSONANCE_TRUST_REQUIRE;
  if (requireText !== undefined && requireText !== 'true' && requireText !== 'false') {
    throw config('DISSONANCE_TRUST_REQUIRE', `must be "true" or "false", got "${requireText}"`);
  }
  const require = requireText !== 'false';
  if (production && !require) throw config('DISSONANCE_TRUST_REQUIRE', 'cannot be false in production mode');
  if (production && paths.length === 0)
    throw config('DISSONANCE_TRUSTED_KEYS', 'production mode needs at least one trusted public key file');
  if (production && (env[ENCRYPTION_KEYS_ENV] ?? '').trim() === '') {
    throw config(ENCRYPTION_KEYS_ENV, 'production mode needs encryption keys');
  }
  const keys = await Promise.all(paths.map((path) => readKeyFile(path)));
  const signingPath = env.DISSONANCE_SIGNING_KEY?.trim();
  return {
    production,
    ...(keys.length === 0 ? {} : { trust: { keys, require } }),
    ...(signingPath === undefined || signingPath === ''
      ? {}
      : { signing: { privateKey: await readKeyFile(signingPath) } }),
    ...((env[ENCRYPTION_KEYS_ENV] ?? '').trim() === '' ? {} : { encryption: envKeyProvider(env) }),
  };
}

function config(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `${field} ${problem}`, { details: { field } });
}
