/**
 * Security primitives of `@dissonance/core`, on WebCrypto only (Node ≥ 20 and browsers): Ed25519 signed
 * model artifacts with a trust policy, an ONNX safety check, and AES-256-GCM envelope encryption with
 * rotating keys.
 * @module
 */
export { canonicalJson, type CanonicalValue } from './canonical-json.js';
export {
  generateSigningKeyPair,
  importSigningKey,
  importVerifyKey,
  signingKeyId,
  type KeyMaterial,
  type SigningJwk,
  type SigningKeyPair,
  type ImportedKey,
} from './signing-keys.js';
export {
  SIGNATURE_TAG,
  SIGNATURE_KEY_ID_TAG,
  signArtifact,
  checkSignature,
  signatureTags,
  signatureFromTags,
  statementBytes,
  type ArtifactSignature,
  type ArtifactStatement,
  type SignedArtifact,
} from './artifact-signature.js';
export { checkOnnxArtifact, DEFAULT_MAX_ONNX_BYTES, type OnnxArtifactCheckOptions } from './onnx-artifact-check.js';
export {
  createArtifactVerifier,
  fetchVerified,
  type TrustPolicy,
  type ArtifactVerifier,
  type ArtifactSource,
} from './trust-policy.js';
export { createArtifactSigner, type SigningConfig, type ArtifactSigner } from './artifact-signer.js';
export {
  staticKeyProvider,
  parseKeyList,
  generateEncryptionKey,
  KEY_ID,
  AES_KEY_BYTES,
  type KeyProvider,
} from './key-provider.js';
export { EnvelopeCipher, ENVELOPE_MAGIC, SEALED_FORMAT_VERSION, SEALED_TEXT_PREFIX } from './envelope-cipher.js';
export { bytesToBase64, base64ToBytes } from './base64-bytes.js';
