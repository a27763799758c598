import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyInput,
} from 'jose';
import { DissonanceError } from '@dissonance/core';
import { HttpError } from './http-error.js';

/** Scopes of the HTTP surface. */
export type Scope = 'predict' | 'feedback' | 'admin';

/** Who made a request: the token's subject and the scopes it grants. */
export interface Principal {
  /** `sub` claim (or `client_id` / `azp` when there is no `sub`). */
  readonly id: string;
  readonly scopes: ReadonlySet<string>;
}

/** A key that verifies tokens: a CryptoKey, a Node KeyObject, a JWK or (HMAC only) secret bytes. */
export type VerifyKey = KeyInput;

/** Options of {@link createJwtAuth}: where keys come from and what a token must say. */
export interface JwtAuthOptions {
  /** Accepted `iss` value(s). */
  readonly issuer: string | readonly string[];
  /** Accepted `aud` value(s). */
  readonly audience: string | readonly string[];
  /** Signature algorithms accepted (default `EdDSA`, `ES256`, `RS256`, `PS256`); `none` is refused. */
  readonly algorithms?: readonly string[];
  /** Clock skew tolerated on `exp` / `nbf`, in seconds (default 30, at most 300). */
  readonly clockToleranceSec?: number;
  /**
   * Longest lifetime a token may have left, in seconds (default 86 400: one day): a token whose `exp` is
   * further ahead than this (plus the skew) is refused, as is one whose `iat` lies in the future beyond the
   * skew, so a leaked long-lived token cannot outlast a key rotation by years.
   */
  readonly maxTokenLifetimeSec?: number;
  /** A JWKS URL (fetched and cached by jose's `createRemoteJWKSet`). */
  readonly jwksUrl?: string | URL;
  /** A local JWKS. */
  readonly jwks?: JSONWebKeySet;
  /** One verification key. */
  readonly key?: VerifyKey;
}

/** Default signature algorithms: asymmetric only. */
export const DEFAULT_ALGORITHMS: readonly string[] = ['EdDSA', 'ES256', 'RS256', 'PS256'];

/** Verifies `Authorization: Bearer` JWTs; resolves to the principal or throws a 401 {@link HttpError}. */
export type Authenticate = (request: Request) => Promise<Principal>;

/**
 * Builds a bearer-JWT authenticator over jose: signature (exactly one key source), issuer, audience, `exp`
 * (required) with bounded clock skew, and an algorithm allow-list that never includes `none`.
 *
 * @throws DissonanceError `E_CONFIG` for no or several key sources, an empty or `none` algorithm list or a skew
 *   outside 0–300 s.
 */
export function createJwtAuth(options: JwtAuthOptions): Authenticate {
  const sources = [options.jwksUrl, options.jwks, options.key].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new DissonanceError('E_CONFIG', 'auth: give exactly one of jwksUrl, jwks or key');
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  if (algorithms.length === 0 || algorithms.some((a) => a.toLowerCase() === 'none')) {
    throw new DissonanceError('E_CONFIG', 'auth: algorithms must be a non-empty list without "none"');
  }
  const skew = options.clockToleranceSec ?? 30;
  if (!(skew >= 0 && skew <= 300))
    throw new DissonanceError('E_CONFIG', `auth: clockToleranceSec must be in [0, 300], got ${skew}`);
  const maxLifetime = options.maxTokenLifetimeSec ?? 86_400;
  if (!(Number.isFinite(maxLifetime) && maxLifetime > 0))
    throw new DissonanceError('E_CONFIG', `auth: maxTokenLifetimeSec must be a positive number, got ${maxLifetime}`);
  const getKey: JWTVerifyGetKey | VerifyKey =
    options.jwksUrl !== undefined
      ? createRemoteJWKSet(new URL(options.jwksUrl))
      : options.jwks !== undefined
        ? createLocalJWKSet(options.jwks)
        : options.key!;
  const verifyOptions = {
    issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
    audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
    algorithms,
    clockTolerance: skew,
    requiredClaims: ['exp'],
  };
  return async (request) => {
    const header = request.headers.get('authorization');
    if (header === null || header.trim() === '') throw unauthorized('E_TOKEN_MISSING', 'missing bearer token');
    // RFC 9110 §11.1: the scheme name is case-insensitive.
    const match = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i.exec(header.trim());
    if (match === null) throw unauthorized('E_TOKEN_MALFORMED', 'malformed bearer token: expected "Bearer <JWT>"');
    let payload: JWTPayload;
    try {
      payload = (
        typeof getKey === 'function'
          ? await jwtVerify(match[1]!, getKey, verifyOptions)
          : await jwtVerify(match[1]!, getKey, verifyOptions)
      ).payload;
    } catch (error) {
      throw fromJose(error);
    }
    checkLifetime(payload, Date.now() / 1000, skew, maxLifetime);
    return principalOf(payload);
  };
}

/** Throws 403 unless `principal` holds `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) throw new HttpError(403, 'E_FORBIDDEN', `token lacks scope "${scope}"`);
}

/** Refuses an `exp` further ahead than the longest lifetime, and an `iat` in the future beyond the skew. */
function checkLifetime(payload: JWTPayload, now: number, skew: number, maxLifetime: number): void {
  if (typeof payload.exp === 'number' && payload.exp - now > maxLifetime + skew) {
    throw unauthorized('E_TOKEN_INVALID', `token lifetime too long: "exp" is more than ${maxLifetime} s ahead`);
  }
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat - now > skew)) {
    throw unauthorized('E_TOKEN_INVALID', 'token "iat" lies in the future');
  }
}

function principalOf(payload: JWTPayload): Principal {
  const id = [payload.sub, payload['client_id'], payload['azp']].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  if (id === undefined) throw unauthorized('E_TOKEN_INVALID', 'token has no subject (sub)');
  const scopes = new Set<string>();
  const scope = payload['scope'];
  if (typeof scope === 'string') for (const s of scope.split(' ')) if (s !== '') scopes.add(s);
  const scp = payload['scp'];
  if (Array.isArray(scp)) for (const s of scp) if (typeof s === 'string') scopes.add(s);
  return { id, scopes };
}

function unauthorized(
  code:
    | 'E_TOKEN_MISSING'
    | 'E_TOKEN_MALFORMED'
    | 'E_TOKEN_EXPIRED'
    | 'E_TOKEN_ISSUER'
    | 'E_TOKEN_AUDIENCE'
    | 'E_TOKEN_ALGORITHM'
    | 'E_TOKEN_INVALID',
  message: string,
): HttpError {
  const error = code === 'E_TOKEN_MISSING' ? '' : `, error="invalid_token", error_description="${message}"`;
  return new HttpError(401, code, message, { 'www-authenticate': `Bearer realm="dissonance"${error}` });
}

function fromJose(error: unknown): HttpError {
  if (error instanceof errors.JWTExpired) return unauthorized('E_TOKEN_EXPIRED', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return unauthorized('E_TOKEN_ISSUER', 'token issuer not accepted');
    if (error.claim === 'aud') return unauthorized('E_TOKEN_AUDIENCE', 'token audience not accepted');
    return unauthorized('E_TOKEN_INVALID', `token claim "${error.claim}" invalid: ${error.reason}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return unauthorized('E_TOKEN_ALGORITHM', 'token algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized('E_TOKEN_INVALID', 'token signature invalid');
  if (error instanceof errors.JWKSNoMatchingKey)
    return unauthorized('E_TOKEN_INVALID', 'no trusted key matches the token');
  if (!(error instanceof errors.JOSEError)) return unauthorized('E_TOKEN_INVALID', 'token could not be verified');
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return unauthorized('E_TOKEN_MALFORMED', 'malformed token');
  }
  return unauthorized('E_TOKEN_INVALID', 'token could not be verified');
}
