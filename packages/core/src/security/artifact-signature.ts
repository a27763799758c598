import { DissonanceError } from '../errors.js';
import type { ModelArtifact } from '../ports/model.js';
import { sha256Hex } from '../util/sha256.js';
import { base64ToBytes, bytesToBase64, ownBytes } from './base64-bytes.js';
import { canonicalJson } from './canonical-json.js';
import { importSigningKey, type ImportedKey, type KeyMaterial } from './signing-keys.js';

/** Registry tag holding an artifact's signature (base64 Ed25519). */
export const SIGNATURE_TAG = 'dissonance.signature';
/** Registry tag holding the id of the key that made {@link SIGNATURE_TAG}. */
export const SIGNATURE_KEY_ID_TAG = 'dissonance.signature.keyId';

/** An Ed25519 signature over an artifact's {@link ArtifactStatement}. */
export interface ArtifactSignature {
  readonly alg: 'Ed25519';
  /** Id of the signing key (see `signingKeyId`). */
  readonly keyId: string;
  /** The 64-byte signature, base64. */
  readonly value: string;
}

/**
 * What a signature covers, serialized as canonical JSON (sorted keys, no whitespace): the artifact's
 * format, sha256 and size, the algorithm and the key id, and the statement version `v`.
 */
export interface ArtifactStatement {
  readonly v: 1;
  readonly alg: 'Ed25519';
  readonly keyId: string;
  readonly format: string;
  /** Lower-case hex sha256 of the artifact bytes. */
  readonly sha256: string;
  readonly size: number;
}

/** What {@link signArtifact} returns: the digest facts and the signature, ready for a manifest. */
export interface SignedArtifact {
  readonly format: string;
  readonly sha256: string;
  readonly size: number;
  readonly signature: ArtifactSignature;
}

/** The bytes a signature is made over: the canonical JSON of the statement, UTF-8. */
export function statementBytes(statement: ArtifactStatement): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ ...statement }));
}

/**
 * Signs an artifact with an Ed25519 private key (JWK, PEM text, or a key already imported with
 * `importSigningKey`): hashes the bytes, builds the {@link ArtifactStatement} and signs its canonical JSON.
 */
export async function signArtifact(artifact: ModelArtifact, key: KeyMaterial | ImportedKey): Promise<SignedArtifact> {
  const signer = isImported(key) ? key : await importSigningKey(key);
  const sha256 = await sha256Hex(artifact.bytes);
  const statement: ArtifactStatement = {
    v: 1,
    alg: 'Ed25519',
    keyId: signer.keyId,
    format: artifact.format,
    sha256,
    size: artifact.bytes.byteLength,
  };
  const value = await globalThis.crypto.subtle.sign(
    { name: 'Ed25519' },
    signer.key,
    ownBytes(statementBytes(statement)),
  );
  return {
    format: artifact.format,
    sha256,
    size: statement.size,
    signature: { alg: 'Ed25519', keyId: signer.keyId, value: bytesToBase64(new Uint8Array(value)) },
  };
}

/** The registry tags that carry a signature ({@link SIGNATURE_TAG}, {@link SIGNATURE_KEY_ID_TAG}). */
export function signatureTags(signature: ArtifactSignature): Readonly<Record<string, string>> {
  return { [SIGNATURE_TAG]: signature.value, [SIGNATURE_KEY_ID_TAG]: signature.keyId };
}

/** The signature carried by a manifest's tags, or undefined when it has none. */
export function signatureFromTags(tags: Readonly<Record<string, string>> | undefined): ArtifactSignature | undefined {
  const value = tags?.[SIGNATURE_TAG];
  const keyId = tags?.[SIGNATURE_KEY_ID_TAG];
  if (value === undefined && keyId === undefined) return undefined;
  return { alg: 'Ed25519', keyId: keyId ?? '', value: value ?? '' };
}

/**
 * Checks `signature` over `artifact` with the public key `key` (already imported). Resolves when valid;
 * otherwise throws `E_ARTIFACT_SIGNATURE` with `details.reason`: `key-id` (the signature names another key),
 * `malformed` (not 64 base64 bytes) or `mismatch` (a tampered artifact or a wrong key).
 */
export async function checkSignature(
  artifact: ModelArtifact,
  signature: ArtifactSignature,
  key: ImportedKey,
  what = 'artifact',
): Promise<void> {
  if (signature.keyId !== key.keyId) {
    throw refused(what, `is signed by key ${signature.keyId || '(none)'}, not ${key.keyId}`, 'key-id', signature.keyId);
  }
  const bytes = base64ToBytes(signature.value);
  if (signature.alg !== 'Ed25519' || bytes === undefined || bytes.length !== 64) {
    throw refused(
      what,
      'has a malformed signature (expected 64 base64 bytes of Ed25519)',
      'malformed',
      signature.keyId,
    );
  }
  const statement: ArtifactStatement = {
    v: 1,
    alg: 'Ed25519',
    keyId: signature.keyId,
    format: artifact.format,
    sha256: await sha256Hex(artifact.bytes),
    size: artifact.bytes.byteLength,
  };
  const ok = await globalThis.crypto.subtle.verify(
    { name: 'Ed25519' },
    key.key,
    ownBytes(bytes),
    ownBytes(statementBytes(statement)),
  );
  if (!ok)
    throw refused(
      what,
      `does not match its signature by key ${signature.keyId} (tampered, or signed by another key)`,
      'mismatch',
      signature.keyId,
    );
}

/** The `E_ARTIFACT_SIGNATURE` error for `what`. */
export function refused(what: string, problem: string, reason: string, keyId?: string): DissonanceError {
  return new DissonanceError('E_ARTIFACT_SIGNATURE', `${what} refused: ${problem}`, {
    details: { reason, ...(keyId === undefined ? {} : { keyId }) },
  });
}

function isImported(key: KeyMaterial | ImportedKey): key is ImportedKey {
  return (
    typeof key === 'object' &&
    key !== null &&
    'key' in key &&
    'keyId' in key &&
    typeof (key as ImportedKey).keyId === 'string'
  );
}
