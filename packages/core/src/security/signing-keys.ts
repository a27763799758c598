import { DissonanceError } from '../errors.js';
import { sha256Hex } from '../util/sha256.js';
import { base64ToBytes, ownBytes } from './base64-bytes.js';

/**
 * An Ed25519 key as accepted by {@link importSigningKey} and {@link importVerifyKey}: a JWK object
 * (`kty: "OKP"`, `crv: "Ed25519"`), or text holding a JWK, a PEM block (`PRIVATE KEY` PKCS#8 /
 * `PUBLIC KEY` SPKI, as `openssl genpkey -algorithm ed25519` writes) or, for public keys, the 32 raw
 * bytes in base64.
 */
export type KeyMaterial = SigningJwk | string;

/** A JWK with the optional `kid` (key id) member. */
export type SigningJwk = JsonWebKey & { readonly kid?: string };

/** A new Ed25519 key pair as JWKs (`kid` set to the key id). */
export interface SigningKeyPair {
  /** Key id: the first 16 hex digits of the sha256 of the raw public key. */
  readonly keyId: string;
  /** Private JWK (holds `d`): keep it secret. */
  readonly privateKey: SigningJwk;
  /** Public JWK: hand it to verifiers. */
  readonly publicKey: SigningJwk;
}

/** An imported key with its id. */
export interface ImportedKey {
  readonly keyId: string;
  readonly key: CryptoKey;
}

const ED25519 = { name: 'Ed25519' } as const;
const RAW_PUBLIC_BYTES = 32;

/** Generates an Ed25519 key pair with WebCrypto (Node ≥ 20, current browsers). */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const subtle = globalThis.crypto.subtle;
  const pair = (await subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  const privateJwk = await subtle.exportKey('jwk', pair.privateKey);
  const publicJwk = await subtle.exportKey('jwk', pair.publicKey);
  const keyId = await keyIdOfJwk(publicJwk);
  return {
    keyId,
    privateKey: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x, d: privateJwk.d, kid: keyId },
    publicKey: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x, kid: keyId },
  };
}

/** The key id of an Ed25519 public key (32 raw bytes): the first 16 hex digits of their sha256. */
export async function signingKeyId(rawPublicKey: Uint8Array): Promise<string> {
  if (!(rawPublicKey instanceof Uint8Array) || rawPublicKey.length !== RAW_PUBLIC_BYTES) {
    throw badKey(`an Ed25519 public key is ${RAW_PUBLIC_BYTES} bytes`);
  }
  return (await sha256Hex(rawPublicKey)).slice(0, 16);
}

/** Imports a private Ed25519 key for signing and derives its key id. Bad material → `E_CONFIG`. */
export async function importSigningKey(material: KeyMaterial): Promise<ImportedKey> {
  const subtle = globalThis.crypto.subtle;
  const parsed = parseMaterial(material);
  let jwk: SigningJwk;
  if (parsed.kind === 'pem') {
    if (parsed.label !== 'PRIVATE KEY') throw badKey(`expected a PEM "PRIVATE KEY" block, got "${parsed.label}"`);
    const key = await attempt(
      () => subtle.importKey('pkcs8', ownBytes(parsed.der), ED25519, true, ['sign']),
      'PKCS#8 key',
    );
    jwk = await subtle.exportKey('jwk', key);
  } else if (parsed.kind === 'jwk') {
    jwk = parsed.jwk;
  } else {
    throw badKey('a private key must be a JWK or a PEM "PRIVATE KEY" block');
  }
  checkOkp(jwk);
  if (typeof jwk.d !== 'string') throw badKey('the JWK has no private part ("d")');
  const keyId = await keyIdOfJwk(jwk);
  if (jwk.kid !== undefined && jwk.kid !== keyId) throw badKey(`the JWK's kid ${jwk.kid} is not its key id ${keyId}`);
  const key = await attempt(
    () => subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, ED25519, false, ['sign']),
    'private JWK',
  );
  return { keyId, key };
}

/** Imports a public Ed25519 key for verifying and derives its key id. Bad material → `E_CONFIG`. */
export async function importVerifyKey(material: KeyMaterial): Promise<ImportedKey> {
  const subtle = globalThis.crypto.subtle;
  const parsed = parseMaterial(material);
  let raw: Uint8Array;
  if (parsed.kind === 'pem') {
    if (parsed.label !== 'PUBLIC KEY') throw badKey(`expected a PEM "PUBLIC KEY" block, got "${parsed.label}"`);
    const key = await attempt(
      () => subtle.importKey('spki', ownBytes(parsed.der), ED25519, true, ['verify']),
      'SPKI key',
    );
    raw = new Uint8Array(await subtle.exportKey('raw', key));
  } else if (parsed.kind === 'jwk') {
    checkOkp(parsed.jwk);
    raw = rawOfJwk(parsed.jwk);
    const keyId = await signingKeyId(raw);
    if (parsed.jwk.kid !== undefined && parsed.jwk.kid !== keyId) {
      throw badKey(`the JWK's kid ${parsed.jwk.kid} is not its key id ${keyId}`);
    }
  } else {
    raw = parsed.raw;
  }
  const keyId = await signingKeyId(raw);
  const key = await attempt(() => subtle.importKey('raw', ownBytes(raw), ED25519, false, ['verify']), 'public key');
  return { keyId, key };
}

type Parsed =
  | { readonly kind: 'jwk'; readonly jwk: SigningJwk }
  | { readonly kind: 'pem'; readonly label: string; readonly der: Uint8Array }
  | { readonly kind: 'raw'; readonly raw: Uint8Array };

function parseMaterial(material: KeyMaterial): Parsed {
  if (typeof material === 'object' && material !== null && !Array.isArray(material))
    return { kind: 'jwk', jwk: material };
  if (typeof material !== 'string') throw badKey('expected a JWK object or key text');
  const text = material.trim();
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badKey('the key text starts like JSON but is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw badKey('the JWK is not a JSON object');
    return { kind: 'jwk', jwk: value as SigningJwk };
  }
  const pem = /^-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----$/.exec(text);
  if (pem !== null) {
    const der = base64ToBytes((pem[2] ?? '').replace(/\s+/g, ''));
    if (der === undefined) throw badKey('the PEM body is not base64');
    return { kind: 'pem', label: pem[1] ?? '', der };
  }
  const raw = base64ToBytes(text);
  if (raw !== undefined && raw.length === RAW_PUBLIC_BYTES) return { kind: 'raw', raw };
  throw badKey('not a JWK, a PEM block or 32 base64 bytes');
}

function checkOkp(jwk: JsonWebKey): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw badKey(`expected an Ed25519 JWK (kty OKP, crv Ed25519), got kty ${String(jwk.kty)} crv ${String(jwk.crv)}`);
  }
}

function rawOfJwk(jwk: JsonWebKey): Uint8Array {
  const raw = typeof jwk.x === 'string' ? base64ToBytes(jwk.x) : undefined;
  if (raw === undefined || raw.length !== RAW_PUBLIC_BYTES) throw badKey('the JWK "x" is not 32 base64url bytes');
  return raw;
}

async function keyIdOfJwk(jwk: JsonWebKey): Promise<string> {
  return signingKeyId(rawOfJwk(jwk));
}

async function attempt<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DissonanceError) throw error;
    throw badKey(`WebCrypto refused the ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function badKey(problem: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `signing key: ${problem}`);
}
