import { S3Client } from '@aws-sdk/client-s3';
import {
  DissonanceError,
  EnvelopeCipher,
  type ModelArtifact,
  type ModelRegistry,
  type ModelVersion,
  type Page,
  type RegisterInput,
  type SetAliasOptions,
} from '@dissonance/core';
import { REGISTRY_NAME, checkName, checkRegisterInput, sha256Hex } from '@dissonance/core/adapter-kit';
import { checkOptions } from './check-options.js';
import { BucketObjects, type StoredObject } from './bucket-objects.js';
import { RegistryKeys, VERSION_NUMBER, manifestVersionOf, versionFolderOf } from './keys.js';
import { parseAlias, parseManifest } from './manifest.js';
import type { S3RegistryOptions } from './options.js';
import { checkPageSize, pageTokenBelow, parsePageToken } from '@dissonance/core/adapter-kit';

/** How many version numbers `register` tries before giving up with `E_REGISTRY_CONFLICT`. */
const MAX_REGISTER_ATTEMPTS = 100;
/** How often an unconditional `setAlias` re-reads and retries after losing a race. */
const MAX_ALIAS_ATTEMPTS = 5;

/**
 * A {@link ModelRegistry} in an S3 bucket (AWS S3 or any S3-compatible server):
 *
 * - artifact `<prefix>models/<name>/<version>/model.<format>`, then manifest `…/<version>/manifest.json`
 *   (the {@link ModelVersion} JSON) — a version is visible only once complete;
 * - version numbers are claimed with conditional writes (`If-None-Match: *` on the artifact, then on the
 *   manifest; on `412` the next number is tried), so concurrent writers never share a number;
 * - aliases are small objects `<prefix>models/<name>/aliases/<alias>.json` (`{"version": "<n>"}`), moved with
 *   conditional writes (`If-Match: <etag>` to replace, `If-None-Match: *` to create), so of two writers racing
 *   from the same state exactly one wins and the other gets `E_REGISTRY_CONFLICT`; `expected` adds
 *   compare-and-set on the version. Every conditional write is verified by reading it back (see the docs on
 *   servers that check conditions non-atomically, such as moto);
 * - `fetch` downloads the artifact and checks its size and sha256 (`E_ARTIFACT_DIGEST`).
 *
 * Errors: `E_NOT_FOUND`, `E_ALIAS_NOT_FOUND`, `E_ARTIFACT_DIGEST`, `E_REGISTRY_CONFLICT`, `E_INPUT`, `E_MODEL`
 * (a malformed manifest or alias object), `E_REGISTRY_UNAVAILABLE` (network errors and 5xx after the SDK's
 * retries, access denied, missing bucket, or after `close()`), `E_CONFIG` from the constructor.
 */
export class S3Registry implements ModelRegistry {
  /** `s3`. */
  readonly name = 's3';
  readonly #objects: BucketObjects;
  readonly #keys: RegistryKeys;
  readonly #maxArtifactBytes: number;
  readonly #ownsClient: boolean;
  readonly #cipher: EnvelopeCipher | undefined;
  #closed = false;

  constructor(options: S3RegistryOptions) {
    const checked = checkOptions(options);
    this.#ownsClient = options.client === undefined;
    const client =
      options.client ??
      new S3Client({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      });
    this.#objects = new BucketObjects(client, options.bucket, {
      ...(options.sse === undefined ? {} : { sse: options.sse }),
      ...(options.kmsKeyId === undefined ? {} : { kmsKeyId: options.kmsKeyId }),
    });
    this.#keys = new RegistryKeys(options.prefix ?? '');
    this.#maxArtifactBytes = checked.maxArtifactBytes;
    this.#cipher = options.encryption === undefined ? undefined : new EnvelopeCipher(options.encryption);
  }

  /** The bucket this registry lives in. */
  get bucket(): string {
    return this.#objects.bucket;
  }

  /** The normalized key prefix (empty, or ending in `/`). */
  get prefix(): string {
    return this.#keys.prefix;
  }

  async register(input: RegisterInput): Promise<ModelVersion> {
    this.#open();
    const parts = checkRegisterInput(input, this.#maxArtifactBytes);
    const { name } = input;
    const format = input.artifact.format;
    if (!REGISTRY_NAME.test(format)) {
      throw new DissonanceError(
        'E_INPUT',
        'register: artifact.format must be 1–200 characters of A–Z, a–z, 0–9, ".", "_" or "-"',
        {
          details: { field: 'artifact.format' },
        },
      );
    }
    const bytes = input.artifact.bytes.slice();
    const sha256 = await sha256Hex(bytes);
    const body = this.#cipher === undefined ? bytes : await this.#cipher.seal(bytes);
    let n = await this.#nextVersion(name);
    for (let attempt = 0; attempt < MAX_REGISTER_ATTEMPTS; attempt++, n++) {
      this.#open();
      const version = String(n);
      const artifactKey = this.#keys.artifact(name, version, format);
      if (!(await this.#objects.putIf(artifactKey, body, 'application/octet-stream', { ifNoneMatch: '*' }))) continue;
      const manifest: ModelVersion = Object.freeze({
        name,
        version,
        format,
        sha256,
        size: bytes.byteLength,
        inputWidth: input.inputWidth,
        classes: input.classes,
        createdAt: new Date().toISOString(),
        ...parts,
      });
      const manifestBody = new TextEncoder().encode(JSON.stringify(manifest));
      if (
        await this.#objects.putIf(this.#keys.manifest(name, version), manifestBody, 'application/json', {
          ifNoneMatch: '*',
        })
      ) {
        return manifest;
      }
      await this.#dropStrayArtifact(name, version, format);
    }
    throw new DissonanceError(
      'E_REGISTRY_CONFLICT',
      `register: no free version number for ${name} after ${MAX_REGISTER_ATTEMPTS} tries`,
      {
        details: { name },
      },
    );
  }

  async get(name: string, version: string): Promise<ModelVersion> {
    this.#open();
    if (!REGISTRY_NAME.test(name) || typeof version !== 'string' || !VERSION_NUMBER.test(version)) {
      throw versionNotFound(name, version);
    }
    const stored = await this.#objects.get(this.#keys.manifest(name, version));
    if (stored === undefined) throw versionNotFound(name, version);
    return parseManifest(new TextDecoder().decode(stored.bytes), name, version);
  }

  async resolve(name: string, alias: string): Promise<ModelVersion> {
    this.#open();
    const stored =
      REGISTRY_NAME.test(name) && REGISTRY_NAME.test(alias)
        ? await this.#objects.get(this.#keys.alias(name, alias))
        : undefined;
    if (stored === undefined) {
      await this.#mustExist(name);
      throw new DissonanceError('E_ALIAS_NOT_FOUND', `model ${name} has no alias ${alias}`, {
        details: { name, alias },
      });
    }
    return this.get(name, parseAlias(new TextDecoder().decode(stored.bytes), name, alias));
  }

  async setAlias(name: string, alias: string, version: string, options: SetAliasOptions = {}): Promise<void> {
    this.#open();
    checkName(alias, 'alias');
    await this.get(name, version);
    const { expected } = options;
    const key = this.#keys.alias(name, alias);
    const body = new TextEncoder().encode(JSON.stringify({ version }));
    const attempts = expected === undefined ? MAX_ALIAS_ATTEMPTS : 1;
    let actual: string | null = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      this.#open();
      const current = await this.#objects.get(key);
      actual = current === undefined ? null : currentVersion(current, name, alias);
      if (expected !== undefined && expected !== actual)
        throw aliasConflict(name, alias, expected, actual, 'points at');
      const condition = current?.etag === undefined ? ({ ifNoneMatch: '*' } as const) : { ifMatch: current.etag };
      if (await this.#objects.putIf(key, body, 'application/json', condition)) return;
    }
    throw aliasConflict(name, alias, expected ?? null, actual, 'was moved concurrently from');
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    this.#open();
    await this.#mustExist(name);
    if (REGISTRY_NAME.test(alias)) await this.#objects.delete(this.#keys.alias(name, alias));
  }

  async aliases(name: string): Promise<Readonly<Record<string, string>>> {
    this.#open();
    await this.#mustExist(name);
    const prefix = this.#keys.aliases(name);
    const keys = await this.#objects.keys(prefix);
    const entries = await Promise.all(
      keys.map(async (key): Promise<[string, string] | undefined> => {
        const match = /^([A-Za-z0-9._-]{1,200})\.json$/.exec(key.slice(prefix.length));
        const alias = match?.[1];
        if (alias === undefined) return undefined;
        const stored = await this.#objects.get(key);
        return stored === undefined
          ? undefined
          : [alias, parseAlias(new TextDecoder().decode(stored.bytes), name, alias)];
      }),
    );
    const result: Record<string, string> = {};
    for (const entry of entries)
      if (entry !== undefined) Object.defineProperty(result, entry[0], { value: entry[1], enumerable: true });
    return Object.freeze(result);
  }

  async list(name: string, options: { pageSize?: number; pageToken?: string } = {}): Promise<Page<ModelVersion>> {
    this.#open();
    const pageSize = checkPageSize(options.pageSize);
    const below = options.pageToken === undefined ? Number.POSITIVE_INFINITY : parsePageToken(options.pageToken);
    if (!REGISTRY_NAME.test(name)) throw modelNotFound(name);
    const modelKey = this.#keys.model(name);
    const keys = await this.#objects.keys(modelKey);
    if (keys.length === 0) throw modelNotFound(name);
    const versions = keys
      .map((key) => manifestVersionOf(modelKey, key))
      .filter((n): n is number => n !== undefined && n < below)
      .sort((a, b) => b - a);
    const page = versions.slice(0, pageSize);
    const items = await Promise.all(page.map((n) => this.get(name, String(n))));
    const last = page[page.length - 1];
    return versions.length > pageSize && last !== undefined
      ? { items, nextPageToken: pageTokenBelow(last) }
      : { items };
  }

  async fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    const manifest = await this.get(name, version);
    if (manifest.size > this.#maxArtifactBytes) {
      // Refused before a byte is downloaded: a manifest may claim what it likes, the cap is this reader's.
      throw new DissonanceError(
        'E_INPUT',
        `artifact of ${name} version ${version} is ${manifest.size} bytes, over maxArtifactBytes ${this.#maxArtifactBytes}`,
        {
          details: { name, version, size: manifest.size, maxArtifactBytes: this.#maxArtifactBytes },
        },
      );
    }
    const stored = await this.#objects.get(this.#keys.artifact(name, version, manifest.format));
    const storedBytes = stored?.bytes ?? new Uint8Array(0);
    const bytes =
      stored === undefined || this.#cipher === undefined
        ? storedBytes
        : await this.#cipher.open(storedBytes, `artifact of ${name} version ${version}`);
    if (
      stored !== undefined &&
      this.#cipher === undefined &&
      bytes.byteLength !== manifest.size &&
      EnvelopeCipher.isSealed(bytes)
    ) {
      throw new DissonanceError(
        'E_DECRYPT',
        `artifact of ${name} version ${version} is encrypted but no encryption key provider is configured`,
        {
          details: { name, version },
        },
      );
    }
    const actual = stored === undefined ? 'missing' : await sha256Hex(bytes);
    if (actual !== manifest.sha256 || bytes.byteLength !== manifest.size) {
      throw new DissonanceError(
        'E_ARTIFACT_DIGEST',
        `artifact of ${name} version ${version} ${stored === undefined ? 'is missing' : 'does not match its sha256 and size'}`,
        { details: { name, version, expected: manifest.sha256, actual, size: bytes.byteLength } },
      );
    }
    return { manifest, artifact: { format: manifest.format, bytes } };
  }

  async ping(): Promise<void> {
    this.#open();
    await this.#objects.headBucket();
  }

  /** Marks the registry closed (later calls reject with `E_REGISTRY_UNAVAILABLE`) and destroys a client it built. */
  close(): Promise<void> {
    if (!this.#closed && this.#ownsClient) this.#objects.client.destroy();
    this.#closed = true;
    return Promise.resolve();
  }

  /** One above the highest version folder of `name` (complete or not), or 1. */
  async #nextVersion(name: string): Promise<number> {
    const modelKey = this.#keys.model(name);
    let highest = 0;
    for (const key of await this.#objects.keys(modelKey))
      highest = Math.max(highest, versionFolderOf(modelKey, key) ?? 0);
    return highest + 1;
  }

  /**
   * After losing the manifest of `version`: when the winner's artifact has another format, the artifact this
   * writer put is a stray in the winner's folder and is deleted (same format: the key was the winner's too).
   */
  async #dropStrayArtifact(name: string, version: string, format: string): Promise<void> {
    const winner = await this.#objects.get(this.#keys.manifest(name, version));
    if (winner === undefined) return;
    let winnerFormat: string | undefined;
    try {
      winnerFormat = parseManifest(new TextDecoder().decode(winner.bytes), name, version).format;
    } catch {
      return;
    }
    if (winnerFormat !== format) await this.#objects.delete(this.#keys.artifact(name, version, format));
  }

  async #mustExist(name: string): Promise<void> {
    if (!REGISTRY_NAME.test(name) || !(await this.#objects.hasAny(this.#keys.model(name)))) throw modelNotFound(name);
  }

  #open(): void {
    if (this.#closed)
      throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `s3 registry (bucket ${this.#objects.bucket}) is closed`);
  }
}

/** The version an alias object names; a malformed one counts as `"malformed"` so it can be overwritten. */
function currentVersion(stored: StoredObject, name: string, alias: string): string {
  try {
    return parseAlias(new TextDecoder().decode(stored.bytes), name, alias);
  } catch {
    return 'malformed';
  }
}

function modelNotFound(name: string): DissonanceError {
  return new DissonanceError('E_NOT_FOUND', `no model named ${name}`, { details: { name } });
}

function versionNotFound(name: string, version: string): DissonanceError {
  return new DissonanceError('E_NOT_FOUND', `model ${name} has no version ${version}`, { details: { name, version } });
}

function aliasConflict(
  name: string,
  alias: string,
  expected: string | null,
  actual: string | null,
  verb: string,
): DissonanceError {
  return new DissonanceError(
    'E_REGISTRY_CONFLICT',
    `alias ${alias} of ${name} ${verb} ${actual ?? 'nothing'}, not ${expected ?? 'nothing'}`,
    { details: { name, alias, expected, actual } },
  );
}
