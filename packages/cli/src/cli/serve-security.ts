import { createArtifactSigner, createArtifactVerifier, DissonanceError } from '@dissonance/core';
import { securityFromEnv, type SecuritySettings } from '@dissonance/node';
import type { ServeArgs } from './serve-command.js';

/**
 * The security settings of `dissonance serve`: {@link securityFromEnv} over `env`, with `--trusted-key` files
 * added to `DISSONANCE_TRUSTED_KEYS` and `--signing-key` in place of `DISSONANCE_SIGNING_KEY`. Production mode
 * (one definition: `isProductionMode`) refuses the development token and needs a trust policy, signing and
 * encryption keys. With a trust policy, the signing key's public half must be trusted, and a policy that
 * requires signatures needs a signing key: otherwise the server would refuse the models it trains itself.
 *
 * @throws DissonanceError `E_CONFIG` naming the variable or option.
 */
export async function serveSecurity(
  args: Pick<ServeArgs, 'trustedKeys' | 'signingKey' | 'devTokenFile'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SecuritySettings> {
  const keys = [...(env.DISSONANCE_TRUSTED_KEYS ?? '').split(','), ...args.trustedKeys]
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const security = await securityFromEnv({
    ...env,
    DISSONANCE_TRUSTED_KEYS: keys.join(','),
    ...(args.signingKey === undefined ? {} : { DISSONANCE_SIGNING_KEY: args.signingKey }),
  });
  if (security.production && args.devTokenFile !== undefined) {
    throw config('--dev-token-file', 'is for development only and refused in production mode');
  }
  const trust = security.trust;
  if (trust === undefined) return security;
  const verifier = createArtifactVerifier(trust);
  if (security.signing === undefined) {
    if (verifier.require)
      throw config(
        '--signing-key',
        'is required with a trust policy that requires signatures: the models this server trains must be signed',
      );
    return security;
  }
  const keyId = await createArtifactSigner(security.signing).keyId();
  if (!(await verifier.keyIds()).includes(keyId)) {
    throw config(
      '--signing-key',
      `signs as key ${keyId}, which the trust policy does not trust: add its public key with --trusted-key`,
    );
  }
  return security;
}

function config(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `${field} ${problem}`, { details: { field } });
}
