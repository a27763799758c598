import { DissonanceError } from '../errors.js';
import type { ModelArtifact } from '../ports/model.js';
import { signArtifact, signatureTags } from './artifact-signature.js';
import { importSigningKey, type ImportedKey, type KeyMaterial } from './signing-keys.js';

/** The engine's `signing` option: the key that signs every artifact the loop registers. */
export interface SigningConfig {
  /** Private Ed25519 key (JWK or PEM text). */
  readonly privateKey: KeyMaterial;
  /** Expected key id; when given and the key's id differs → `E_CONFIG`. */
  readonly keyId?: string;
}

/** Signs artifacts into registry tags; made by {@link createArtifactSigner}. */
export interface ArtifactSigner {
  /** The signing key's id (imports the key on first use). */
  keyId(): Promise<string>;
  /** The {@link SIGNATURE_TAG} / {@link SIGNATURE_KEY_ID_TAG} tags for `artifact`. */
  tags(artifact: ModelArtifact): Promise<Readonly<Record<string, string>>>;
}

/** Builds an {@link ArtifactSigner}; a malformed config → `E_CONFIG` (bad key material: on first use). */
export function createArtifactSigner(signing: SigningConfig): ArtifactSigner {
  if (typeof signing !== 'object' || signing === null || signing.privateKey === undefined) {
    throw new DissonanceError('E_CONFIG', 'signing: privateKey is required', { details: { field: 'signing' } });
  }
  let imported: Promise<ImportedKey> | undefined;
  const key = (): Promise<ImportedKey> => {
    imported ??= importSigningKey(signing.privateKey).then((found) => {
      if (signing.keyId !== undefined && signing.keyId !== found.keyId) {
        throw new DissonanceError('E_CONFIG', `signing: the private key's id is ${found.keyId}, not ${signing.keyId}`, {
          details: { field: 'signing.keyId' },
        });
      }
      return found;
    });
    imported.catch(() => {
      imported = undefined;
    });
    return imported;
  };
  return {
    keyId: async () => (await key()).keyId,
    tags: async (artifact) => signatureTags((await signArtifact(artifact, await key())).signature),
  };
}
