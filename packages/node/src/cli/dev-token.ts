import { writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';

/** Issuer and audience of development tokens. */
export const DEV_ISSUER = 'dissonance-dev';
export const DEV_AUDIENCE = 'dissonance';

/** An ephemeral signing key, its public JWKS and a signed bearer token. */
export interface DevToken {
  readonly token: string;
  readonly jwks: JSONWebKeySet;
  readonly issuer: string;
  readonly audience: string;
  readonly subject: string;
}

/**
 * Generates an ephemeral Ed25519 key pair (kept in memory only) and signs a token for `subject` with `scope`
 * that expires after `ttlSec`. Development only: whoever reads the token file may call the server.
 */
export async function createDevToken(options: { scope: string; subject?: string; ttlSec?: number }): Promise<DevToken> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = 'dev-' + Math.random().toString(36).slice(2, 10);
  const subject = options.subject ?? 'dev';
  const token = await new SignJWT({ scope: options.scope })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSec ?? 3600}s`)
    .sign(privateKey);
  const jwk = await exportJWK(publicKey);
  return { token, jwks: { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }, issuer: DEV_ISSUER, audience: DEV_AUDIENCE, subject };
}

/** Writes `token` to `path`, readable by the owner only. */
export function writeTokenFile(path: string, token: string): void {
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
}
