import { DissonanceError } from '../errors.js';
import type { ModelArtifact } from '../ports/model.js';
import type { ModelRegistry, ModelVersion } from '../ports/registry.js';
import { checkSignature, refused, signatureFromTags, type ArtifactSignature } from './artifact-signature.js';
import { DEFAULT_MAX_ONNX_BYTES, checkOnnxArtifact } from './onnx-artifact-check.js';
import { importVerifyKey, type ImportedKey, type KeyMaterial } from './signing-keys.js';

/**
 * Which model artifacts a process accepts from a registry (the engine's `trust` option). Every check runs
 * before a runtime sees a byte of the artifact.
 */
export interface TrustPolicy {
  /** Public Ed25519 keys allowed to sign artifacts; each key's id is derived from the key itself. */
  readonly keys: readonly KeyMaterial[];
  /**
   * Refuse unsigned artifacts (default `true`; production mode requires it). With `false` an unsigned artifact
   * passes, but a signed one must still verify against a trusted key.
   */
  readonly require?: boolean;
  /** Artifact formats accepted (default `['onnx']`); ONNX artifacts are also checked by `checkOnnxArtifact`. */
  readonly formats?: readonly string[];
  /** Largest artifact accepted, in bytes (default 512 MiB). */
  readonly maxArtifactBytes?: number;
  /**
   * Models whose versions may be unsigned although `require` is true: adopted models that someone else
   * registered (e.g. logged with `mlflow.onnx.log_model`), named one by one for one registry (its `name`, e.g.
   * `mlflow`). Only the signature requirement is lifted: a signed version of a named model must still verify
   * against a trusted key, and the format, size and ONNX checks still run. Default none.
   */
  readonly allowUnsigned?: { readonly registry: string; readonly models: readonly string[] };
}

/** Where an artifact comes from, for {@link TrustPolicy.allowUnsigned}. */
export interface ArtifactSource {
  /** The registry's `name` (`memory`, `file`, `mlflow`…). */
  readonly registry: string;
  /** The model name in that registry. */
  readonly model: string;
}

/** Checks artifacts against a {@link TrustPolicy}; made by {@link createArtifactVerifier}. */
export interface ArtifactVerifier {
  /** Whether unsigned artifacts are refused. */
  readonly require: boolean;
  /** Ids of the trusted keys. */
  keyIds(): Promise<readonly string[]>;
  /**
   * Resolves when `artifact` may be loaded. Throws `E_ARTIFACT_SIGNATURE` (`details.reason`: `unsigned`,
   * `untrusted-key`, `key-id`, `malformed`, `mismatch`) or `E_MODEL` (`format`, `size`, `not-onnx`,
   * `external-data`). An unsigned artifact from a `source` the policy's `allowUnsigned` names is not refused.
   */
  verify(
    artifact: ModelArtifact,
    signature: ArtifactSignature | undefined,
    what?: string,
    source?: ArtifactSource,
  ): Promise<void>;
}

/** Builds an {@link ArtifactVerifier}; a malformed policy → `E_CONFIG` (bad key material: on first use). */
export function createArtifactVerifier(policy: TrustPolicy): ArtifactVerifier {
  if (typeof policy !== 'object' || policy === null) throw config('must be an object');
  if (!Array.isArray(policy.keys)) throw config('keys must be an array of public keys');
  const require = policy.require ?? true;
  if (typeof require !== 'boolean') throw config('require must be a boolean');
  if (require && policy.keys.length === 0) throw config('require is true but no key is trusted');
  const formats = policy.formats ?? ['onnx'];
  if (!Array.isArray(formats) || formats.some((f) => typeof f !== 'string' || f.length === 0)) {
    throw config('formats must be an array of non-empty strings');
  }
  const maxBytes = policy.maxArtifactBytes ?? DEFAULT_MAX_ONNX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw config(`maxArtifactBytes must be a positive integer, got ${maxBytes}`);
  const allowUnsigned = checkAllowUnsigned(policy.allowUnsigned);
  let imported: Promise<Map<string, ImportedKey>> | undefined;
  const keys = (): Promise<Map<string, ImportedKey>> => {
    imported ??= Promise.all(policy.keys.map((key) => importVerifyKey(key))).then(
      (list) => new Map(list.map((key) => [key.keyId, key])),
      (error: unknown) => {
        imported = undefined;
        throw error;
      },
    );
    return imported;
  };
  return {
    require,
    keyIds: async () => [...(await keys()).keys()],
    async verify(artifact, signature, what = 'artifact', source) {
      // Imported first, so that a bad key in the policy surfaces as E_CONFIG on the first artifact.
      const trusted = await keys();
      if (!formats.includes(artifact.format)) {
        throw new DissonanceError(
          'E_MODEL',
          `${what} refused: format "${artifact.format}" is not one of ${formats.join(', ')}`,
          {
            details: { reason: 'format', format: artifact.format },
          },
        );
      }
      if (artifact.bytes.byteLength > maxBytes) {
        throw new DissonanceError(
          'E_MODEL',
          `${what} refused: ${artifact.bytes.byteLength} bytes, more than the limit of ${maxBytes}`,
          {
            details: { reason: 'size' },
          },
        );
      }
      if (signature === undefined) {
        const named =
          source !== undefined &&
          allowUnsigned?.registry === source.registry &&
          allowUnsigned.models.includes(source.model);
        if (require && !named)
          throw refused(what, 'is not signed and the trust policy requires a signature', 'unsigned');
      } else {
        const key = trusted.get(signature.keyId);
        if (key === undefined)
          throw refused(
            what,
            `is signed by key ${signature.keyId || '(none)'}, which is not trusted`,
            'untrusted-key',
            signature.keyId,
          );
        await checkSignature(artifact, signature, key, what);
      }
      if (artifact.format === 'onnx') checkOnnxArtifact(artifact.bytes, { maxBytes, what });
    },
  };
}

/**
 * `registry.fetch` followed, when a verifier is given, by its checks on the artifact and the signature in the
 * manifest's tags: what the engine calls before a runtime loads a champion.
 */
export async function fetchVerified(
  registry: ModelRegistry,
  name: string,
  version: string,
  verifier: ArtifactVerifier | undefined,
): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
  const fetched = await registry.fetch(name, version);
  if (verifier !== undefined) {
    await verifier.verify(fetched.artifact, signatureFromTags(fetched.manifest.tags), `${name} version ${version}`, {
      registry: registry.name,
      model: name,
    });
  }
  return fetched;
}

function checkAllowUnsigned(rule: TrustPolicy['allowUnsigned']): TrustPolicy['allowUnsigned'] {
  if (rule === undefined) return undefined;
  if (typeof rule !== 'object' || rule === null) throw config('allowUnsigned must be { registry, models }');
  if (typeof rule.registry !== 'string' || rule.registry === '')
    throw config('allowUnsigned.registry must be a registry name');
  if (!Array.isArray(rule.models) || rule.models.some((m) => typeof m !== 'string' || m === '')) {
    throw config('allowUnsigned.models must be an array of model names');
  }
  return { registry: rule.registry, models: [...rule.models] };
}

function config(problem: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `trust policy: ${problem}`, { details: { field: 'trust' } });
}
