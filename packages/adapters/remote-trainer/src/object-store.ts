/**
 * Where large job snapshots and uploaded results live: the object-store port `remoteTrainer` uses when its
 * `snapshots` option is set. `S3ObjectStore` of `@dissonance/adapter-s3` implements it; any store whose URIs
 * the worker can read does (the Python worker reads `s3://bucket/key` with boto3).
 */
export interface ObjectStore {
  /** Writes `bytes` at `key` (relative to the store's root) and resolves to the object's URI (`s3://bucket/key`). */
  put(key: string, bytes: Uint8Array): Promise<string>;
  /** The bytes of the object at `uri`, or `undefined` when there is none; rejects for a URI outside this store. */
  get(uri: string): Promise<Uint8Array | undefined>;
  /** Deletes the object at `uri`; resolves when there is none. */
  delete(uri: string): Promise<void>;
  /** The URI the object at `key` has (or would have once written). */
  uriOf(key: string): string;
}

/** The `snapshots` option of `remoteTrainer`: jobs over a size travel through an object store. */
export interface SnapshotOptions {
  /** The store jobs and results go through (`new S3ObjectStore({ bucket })` of `@dissonance/adapter-s3`). */
  readonly store: ObjectStore;
  /**
   * Jobs whose Arrow stream is larger than this many bytes are put in the store and only a pointer (URI,
   * sha256, size) is sent. Default {@link DEFAULT_SNAPSHOT_OVER_BYTES} (8 MiB); `0` sends every job that way.
   */
  readonly overBytes?: number;
  /** Key prefix of the objects (default `dissonance-jobs/`); each job's objects are under `{prefix}{jobId}/`. */
  readonly prefix?: string;
}

/** Default {@link SnapshotOptions.overBytes}: 8 MiB (about 30 000 rows of 64 features with two critics). */
export const DEFAULT_SNAPSHOT_OVER_BYTES = 8 * 1024 * 1024;

/** Default {@link SnapshotOptions.prefix}. */
export const DEFAULT_SNAPSHOT_PREFIX = 'dissonance-jobs/';
