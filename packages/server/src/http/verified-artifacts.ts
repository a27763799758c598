import {
  createArtifactVerifier,
  isDissonanceError,
  type ArtifactVerifier,
  type ModelArtifact,
  type ModelRegistry,
  type ModelVersion,
  type TrustPolicy,
} from '@dissonance/core';
import { signatureFromTags } from '@dissonance/core/adapter-kit';
import { HttpError, type HttpErrorCode } from './http-error.js';

/** Verified versions remembered, so a hot artifact is checked once, not on every download. */
const MAX_REMEMBERED = 256;

/**
 * Default bytes of artifacts kept in memory once read and checked against their digest (the most recently used
 * first; a larger artifact is read for each download instead).
 */
export const DEFAULT_ARTIFACT_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * Fetches model versions for the routes that return or load one (the artifact download, the model
 * description, promotion). `registry.fetch` checks the bytes against the manifest's digest; with a trust
 * policy, the artifact must also pass it (signature by a trusted key, format, size, ONNX checks) before a
 * byte is served or the alias moves. A refusal is a 409 with the SDK's code (`E_ARTIFACT_SIGNATURE`,
 * `E_ARTIFACT_DIGEST`, `E_MODEL`, `E_DECRYPT`) and its reason, never a 200.
 */
export class VerifiedArtifacts {
  readonly #registry: Pick<ModelRegistry, 'fetch' | 'get'>;
  readonly #verifier: ArtifactVerifier | undefined;
  readonly #verified = new Set<string>();
  /** Artifacts read and checked against their digest, by name, version and digest; least recently used first. */
  readonly #bytes = new Map<string, ModelArtifact>();
  /** Reads in progress, by the same key: downloads that miss together share one read and one copy. */
  readonly #reading = new Map<string, Promise<{ manifest: ModelVersion; artifact: ModelArtifact }>>();
  readonly #maxBytes: number;
  #heldBytes = 0;

  /**
   * @param cacheBytes most artifact bytes kept in memory between downloads (default
   *   {@link DEFAULT_ARTIFACT_CACHE_BYTES}; 0: none). Versions are immutable, so a kept artifact is served as read
   *   once: each download costs no read, digest or copy of its own.
   * @throws DissonanceError `E_CONFIG` for a malformed trust policy.
   */
  constructor(
    registry: Pick<ModelRegistry, 'fetch' | 'get'>,
    trust: TrustPolicy | undefined,
    cacheBytes = DEFAULT_ARTIFACT_CACHE_BYTES,
  ) {
    this.#registry = registry;
    this.#verifier = trust === undefined ? undefined : createArtifactVerifier(trust);
    this.#maxBytes = cacheBytes;
  }

  /** Whether a trust policy is in force. */
  get enforcing(): boolean {
    return this.#verifier !== undefined;
  }

  /** The version's manifest and bytes, verified; throws a 409 {@link HttpError} when refused. */
  async fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    let fetched: { manifest: ModelVersion; artifact: ModelArtifact };
    try {
      fetched = await this.#read(name, version);
    } catch (error) {
      // The registry's message names its files: the client gets the code and what was refused, not paths.
      throw refusal(error, `the stored artifact of ${name} version ${version} does not match its manifest`);
    }
    const verifier = this.#verifier;
    if (verifier === undefined) return fetched;
    const { manifest, artifact } = fetched;
    const tags = manifest.tags;
    const key = JSON.stringify([
      name,
      version,
      manifest.sha256,
      artifact.format,
      Object.entries(tags).filter(([k]) => k.startsWith('dissonance.signature')),
    ]);
    if (this.#verified.has(key)) return fetched;
    try {
      await verifier.verify(artifact, signatureFromTags(tags), `${name} version ${version}`);
    } catch (error) {
      throw refusal(error, undefined);
    }
    this.#verified.add(key);
    if (this.#verified.size > MAX_REMEMBERED) this.#verified.delete(this.#verified.values().next().value!);
    return fetched;
  }

  /** The manifest as the registry has it now, and the artifact: kept bytes when its digest is the manifest's. */
  async #read(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    if (this.#maxBytes <= 0) return this.#registry.fetch(name, version);
    const manifest = await this.#registry.get(name, version);
    const key = JSON.stringify([name, version, manifest.sha256]);
    const kept = this.#bytes.get(key);
    if (kept !== undefined) {
      this.#bytes.delete(key);
      this.#bytes.set(key, kept);
      return { manifest, artifact: kept };
    }
    let reading = this.#reading.get(key);
    if (reading === undefined) {
      reading = this.#registry.fetch(name, version).finally(() => this.#reading.delete(key));
      this.#reading.set(key, reading);
      const fetched = await reading;
      if (fetched.manifest.sha256 === manifest.sha256) this.#keep(key, fetched.artifact);
      return fetched;
    }
    return { manifest, artifact: (await reading).artifact };
  }

  /** Keeps `artifact` under `key` (once), then drops the least recently used beyond the byte budget. */
  #keep(key: string, artifact: ModelArtifact): void {
    const size = artifact.bytes.byteLength;
    if (size > this.#maxBytes || this.#bytes.has(key)) return;
    this.#bytes.set(key, artifact);
    this.#heldBytes += size;
    for (const [old, kept] of this.#bytes) {
      if (this.#heldBytes <= this.#maxBytes) break;
      this.#bytes.delete(old);
      this.#heldBytes -= kept.bytes.byteLength;
    }
  }
}

const REFUSED: ReadonlySet<string> = new Set(['E_ARTIFACT_SIGNATURE', 'E_ARTIFACT_DIGEST', 'E_MODEL', 'E_DECRYPT']);

/** An integrity or trust failure as a 409 with its code (and `message` instead of the SDK's); anything else unchanged. */
function refusal(error: unknown, message: string | undefined): unknown {
  if (!isDissonanceError(error) || !REFUSED.has(error.code)) return error;
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  const text = message ?? error.message;
  const suffix = typeof reason === 'string' && !text.includes(reason) ? ` (${reason})` : '';
  return new HttpError(409, error.code as HttpErrorCode, `${text}${suffix}`);
}
