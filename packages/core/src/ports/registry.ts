import type { ModelArtifact } from './model.js';

/** Scalar values accepted in params and tags. */
export type Scalar = string | number | boolean;

/** Where a version came from: what it was trained from and on. */
export interface Lineage {
  /** Version this one was fine-tuned from. */
  readonly parent?: string;
  /** Number of training examples used. */
  readonly examples?: number;
  /** Mean dissonance of those examples. */
  readonly dissonanceMean?: number;
  /** W3C trace id of the retrain that produced it. */
  readonly traceId?: string;
}

/** What a caller provides to register a new version. */
export interface RegisterInput {
  readonly name: string;
  readonly artifact: ModelArtifact;
  readonly inputWidth: number;
  readonly classes: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly params?: Readonly<Record<string, Scalar>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly lineage?: Lineage;
}

/** A registered, immutable model version: its manifest. */
export interface ModelVersion {
  readonly name: string;
  /** Assigned by the registry: `"1"`, `"2"`, … increasing per name. */
  readonly version: string;
  readonly format: string;
  /** Lower-case hex sha256 of the artifact bytes. */
  readonly sha256: string;
  /** Artifact size in bytes. */
  readonly size: number;
  readonly inputWidth: number;
  readonly classes: number;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, Scalar>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly lineage: Lineage;
}

/** One page of a listing. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back to get the next page; absent on the last page. */
  readonly nextPageToken?: string;
}

/** Options of {@link ModelRegistry.setAlias}. */
export interface SetAliasOptions {
  /**
   * Compare-and-set: the version the alias must point at now (`null`: the alias must not exist).
   * When it does not match, `setAlias` rejects with `E_REGISTRY_CONFLICT` and changes nothing.
   */
  readonly expected?: string | null;
}

/**
 * Versioned model storage with aliases (`champion`, `challenger`). Artifacts are verified by sha256 on fetch.
 * Errors: `E_NOT_FOUND` (unknown model — also from `list` and `aliases` — or version), `E_ALIAS_NOT_FOUND`,
 * `E_ARTIFACT_DIGEST`, `E_REGISTRY_CONFLICT`, `E_REGISTRY_UNAVAILABLE`, and `E_INPUT` for a bad name, an empty
 * or oversized artifact, non-positive shapes, non-finite metrics, an invalid `pageToken` or a `pageSize`
 * outside 1–1000.
 */
export interface ModelRegistry {
  /** Short name for health and logs. */
  readonly name: string;
  /** Stores a new version and returns its manifest. */
  register(input: RegisterInput): Promise<ModelVersion>;
  /** The manifest of one version. */
  get(name: string, version: string): Promise<ModelVersion>;
  /** The version an alias points at. */
  resolve(name: string, alias: string): Promise<ModelVersion>;
  /** Points `alias` at `version` (atomically, optionally compare-and-set). */
  setAlias(name: string, alias: string, version: string, options?: SetAliasOptions): Promise<void>;
  /** Removes an alias; no error when it does not exist. */
  deleteAlias(name: string, alias: string): Promise<void>;
  /** All aliases of a model: alias → version. */
  aliases(name: string): Promise<Readonly<Record<string, string>>>;
  /** Versions of a model, newest first, paginated. */
  list(name: string, options?: { pageSize?: number; pageToken?: string }): Promise<Page<ModelVersion>>;
  /** The artifact of a version, its sha256 checked against the manifest (`E_ARTIFACT_DIGEST` when not). */
  fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }>;
  /** Cheap reachability check for health reports. */
  ping(): Promise<void>;
  /** Releases connections. */
  close?(): Promise<void>;
}
