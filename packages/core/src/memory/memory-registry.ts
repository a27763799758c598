import { checkPageSize, pageTokenBelow, parsePageToken } from './page-token.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import type { ModelArtifact } from '../ports/model.js';
import type { ModelRegistry, ModelVersion, Page, RegisterInput, SetAliasOptions } from '../ports/registry.js';
import { sha256Hex } from '../util/sha256.js';
import { checkName, checkRegisterInput } from './register-input.js';

/** Options of {@link MemoryRegistry}. */
export interface MemoryRegistryOptions {
  /** Largest artifact accepted, in bytes; larger ones are refused with `E_INPUT`. Default: no limit. */
  readonly maxArtifactBytes?: number;
  /** Source of `createdAt` times (default the system clock). */
  readonly clock?: Clock;
}

interface StoredVersion {
  readonly manifest: ModelVersion;
  /** Private copy of the artifact bytes. */
  bytes: Uint8Array;
}

interface StoredModel {
  /** Version `n` is at index `n - 1`. */
  readonly versions: StoredVersion[];
  readonly aliases: Map<string, string>;
}

/**
 * The embedded {@link ModelRegistry}: versions `"1"`, `"2"`, … per model name, aliases, compare-and-set,
 * all in process memory. It keeps a private copy of each artifact, freezes manifests, computes sha256 on
 * `register` and checks it again on every `fetch`. Alias changes are atomic (no await between check and
 * set). After `close()` every call rejects with `E_REGISTRY_UNAVAILABLE`.
 */
export class MemoryRegistry implements ModelRegistry {
  /** `memory`. */
  readonly name = 'memory';
  readonly #models = new Map<string, StoredModel>();
  readonly #maxArtifactBytes: number;
  readonly #clock: Clock;
  #closed = false;

  constructor(options: MemoryRegistryOptions = {}) {
    const max = options.maxArtifactBytes ?? Number.POSITIVE_INFINITY;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max >= 1))) {
      throw new DissonanceError('E_CONFIG', `maxArtifactBytes must be a positive integer, got ${max}`, {
        details: { field: 'maxArtifactBytes' },
      });
    }
    this.#maxArtifactBytes = max;
    this.#clock = options.clock ?? systemClock;
  }

  async register(input: RegisterInput): Promise<ModelVersion> {
    this.#open();
    const parts = checkRegisterInput(input, this.#maxArtifactBytes);
    const bytes = input.artifact.bytes.slice();
    const sha256 = await sha256Hex(bytes);
    this.#open();
    let model = this.#models.get(input.name);
    if (model === undefined) {
      model = { versions: [], aliases: new Map() };
      this.#models.set(input.name, model);
    }
    const manifest: ModelVersion = Object.freeze({
      name: input.name,
      version: String(model.versions.length + 1),
      format: input.artifact.format,
      sha256,
      size: bytes.byteLength,
      inputWidth: input.inputWidth,
      classes: input.classes,
      createdAt: new Date(this.#clock.now()).toISOString(),
      ...parts,
    });
    model.versions.push({ manifest, bytes });
    return manifest;
  }

  get(name: string, version: string): Promise<ModelVersion> {
    return this.#sync(() => this.#version(name, version).manifest);
  }

  resolve(name: string, alias: string): Promise<ModelVersion> {
    return this.#sync(() => {
      const version = this.#model(name).aliases.get(alias);
      if (version === undefined) {
        throw new DissonanceError('E_ALIAS_NOT_FOUND', `model ${name} has no alias ${alias}`, {
          details: { name, alias },
        });
      }
      return this.#version(name, version).manifest;
    });
  }

  setAlias(name: string, alias: string, version: string, options: SetAliasOptions = {}): Promise<void> {
    return this.#sync(() => {
      checkName(alias, 'alias');
      const model = this.#model(name);
      this.#version(name, version);
      const current = model.aliases.get(alias) ?? null;
      if (options.expected !== undefined && options.expected !== current) {
        throw new DissonanceError(
          'E_REGISTRY_CONFLICT',
          `alias ${alias} of ${name} points at ${current ?? 'nothing'}, not ${options.expected ?? 'nothing'}`,
          { details: { name, alias, expected: options.expected, actual: current } },
        );
      }
      model.aliases.set(alias, version);
    });
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return this.#sync(() => {
      this.#model(name).aliases.delete(alias);
    });
  }

  aliases(name: string): Promise<Readonly<Record<string, string>>> {
    return this.#sync(() => Object.freeze(Object.fromEntries(this.#model(name).aliases)));
  }

  list(name: string, options: { pageSize?: number; pageToken?: string } = {}): Promise<Page<ModelVersion>> {
    return this.#sync(() => {
      const pageSize = checkPageSize(options.pageSize);
      const { versions } = this.#model(name);
      const below = options.pageToken === undefined ? versions.length + 1 : parsePageToken(options.pageToken);
      const top = Math.min(below - 1, versions.length);
      const bottom = Math.max(1, top - pageSize + 1);
      const items: ModelVersion[] = [];
      for (const stored of versions.slice(bottom - 1, top).reverse()) items.push(stored.manifest);
      return bottom > 1 && items.length > 0 ? { items, nextPageToken: pageTokenBelow(bottom) } : { items };
    });
  }

  async fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    this.#open();
    const stored = this.#version(name, version);
    const bytes = stored.bytes.slice();
    const actual = await sha256Hex(bytes);
    if (actual !== stored.manifest.sha256) {
      throw new DissonanceError(
        'E_ARTIFACT_DIGEST',
        `artifact of ${name} version ${version} does not match its sha256`,
        {
          details: { name, version, expected: stored.manifest.sha256, actual },
        },
      );
    }
    return { manifest: stored.manifest, artifact: { format: stored.manifest.format, bytes } };
  }

  ping(): Promise<void> {
    return this.#sync(() => undefined);
  }

  /** Forgets every model; later calls reject with `E_REGISTRY_UNAVAILABLE`. */
  close(): Promise<void> {
    this.#closed = true;
    this.#models.clear();
    return Promise.resolve();
  }

  /**
   * FOR TESTS ONLY: flips one bit of a stored artifact so that the next `fetch` must fail with
   * `E_ARTIFACT_DIGEST`. This is how the registry contract suite checks digest verification.
   */
  tamperForTesting(name: string, version: string): void {
    this.#open();
    const stored = this.#version(name, version);
    const bytes = stored.bytes.slice();
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    stored.bytes = bytes;
  }

  #model(name: string): StoredModel {
    const model = this.#models.get(name);
    if (model === undefined) throw new DissonanceError('E_NOT_FOUND', `no model named ${name}`, { details: { name } });
    return model;
  }

  #version(name: string, version: string): StoredVersion {
    const { versions } = this.#model(name);
    const stored = /^[1-9][0-9]*$/.test(version) ? versions[Number(version) - 1] : undefined;
    if (stored === undefined) {
      throw new DissonanceError('E_NOT_FOUND', `model ${name} has no version ${version}`, {
        details: { name, version },
      });
    }
    return stored;
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'memory registry is closed');
  }

  /** Runs `work` unless closed, turning throws into rejections. */
  #sync<T>(work: () => T): Promise<T> {
    try {
      this.#open();
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
