import { readFile } from 'node:fs/promises';
import { DissonanceError, type ArtifactSignature } from '@dissonance/core';
import { signatureFromTags } from '@dissonance/core/adapter-kit';

/** A manifest file as the CLI reads it: any JSON object. */
export type ManifestJson = Record<string, unknown>;

/** Reads a manifest JSON object; absent and `optional` → undefined; unreadable or not an object → `E_INPUT`. */
export async function readManifestFile(
  path: string,
  options: { optional?: boolean } = {},
): Promise<ManifestJson | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.optional === true && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DissonanceError(
      'E_INPUT',
      `cannot read manifest ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DissonanceError('E_INPUT', `manifest ${path} is not JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DissonanceError('E_INPUT', `manifest ${path} is not a JSON object`);
  return value as ManifestJson;
}

/**
 * The signature of a manifest: its `signature` object (from `dissonance sign`) or its registry tags. A
 * signature with another algorithm than Ed25519 → `E_ARTIFACT_SIGNATURE`.
 */
export function manifestSignature(manifest: ManifestJson): ArtifactSignature | undefined {
  const signature = manifest.signature;
  if (typeof signature === 'object' && signature !== null) {
    const { alg, keyId, value } = signature as Record<string, unknown>;
    if (alg !== 'Ed25519') {
      throw new DissonanceError(
        'E_ARTIFACT_SIGNATURE',
        `the manifest's signature uses ${JSON.stringify(alg)}, not Ed25519`,
        {
          details: { reason: 'malformed' },
        },
      );
    }
    return { alg, keyId: typeof keyId === 'string' ? keyId : '', value: typeof value === 'string' ? value : '' };
  }
  const tags = manifest.tags;
  return typeof tags === 'object' && tags !== null ? signatureFromTags(tags as Record<string, string>) : undefined;
}
