import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JwtAuthOptions } from '@dissonance/server';
import { createDevToken, type DevToken } from '../dev-token.js';
import type { ServeConfig } from './config-schema.js';

/** The HTTP surface's token check, and the development token to write once the server listens. */
export interface ServeAuth {
  readonly auth: JwtAuthOptions;
  /** With `auth.kind: "dev-token"`: the token and the file it goes to. */
  readonly dev?: { readonly token: DevToken; readonly file: string };
}

/**
 * The bearer-token settings of a serve config: a JWKS URL, a PEM public key, or (development only) an
 * ephemeral key pair whose token, scopes `predict feedback`, is written to `auth.file`.
 */
export async function serveAuth(config: ServeConfig['auth']): Promise<ServeAuth> {
  if (config.kind === 'dev-token') {
    const token = await createDevToken({ scope: 'predict feedback' });
    return {
      auth: { issuer: token.issuer, audience: token.audience, jwks: token.jwks },
      dev: { token, file: config.file },
    };
  }
  if (config.kind === 'public-key') {
    return {
      auth: { issuer: config.issuer, audience: config.audience, key: createPublicKey(readFileSync(config.path)) },
    };
  }
  return { auth: { issuer: config.issuer, audience: config.audience, jwksUrl: config.url } };
}
