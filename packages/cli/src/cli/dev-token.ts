import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { DissonanceError } from '@dissonance/core';
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
  return {
    token,
    jwks: { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] },
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    subject,
  };
}

/**
 * Writes `token` to `path`, readable by the owner only: created with mode 0600, or, when the file exists, set
 * to 0600 before the token is written. A symbolic link at `path` is never followed (`O_NOFOLLOW`), and
 * anything but a regular file is refused.
 *
 * @throws DissonanceError `E_CONFIG` naming the path when it is a symbolic link, not a regular file or not
 *   writable.
 */
export function writeTokenFile(path: string, token: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ELOOP' ? 'is a symbolic link (never followed)' : `cannot be opened (${code ?? String(error)})`;
    throw new DissonanceError('E_CONFIG', `--dev-token-file ${path} ${why}`, { details: { field: 'devTokenFile' } });
  }
  try {
    if (!fstatSync(fd).isFile())
      throw new DissonanceError('E_CONFIG', `--dev-token-file ${path} is not a regular file`, {
        details: { field: 'devTokenFile' },
      });
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
}
