import { DissonanceError, type ModelRuntime } from '@dissonance/core';
import type { RemoteTrainer, SnapshotOptions } from '@dissonance/adapter-remote-trainer';
import type { ServeConfig } from './config-schema.js';
import { loadRemoteTrainerAdapter, type RemoteTrainerAdapter } from './remote-trainer-adapter.js';
import { loadS3Adapter, type S3Adapter } from './s3-adapter.js';

/** The `trainer` section of a serve config with `kind: "external"`. */
export type ExternalTrainerSpec = Extract<ServeConfig['trainer'], { kind: 'external' }>;

/** An external trainer built from a serve config, and what to close when serve stops. */
export interface ConfigExternalTrainer {
  readonly trainer: RemoteTrainer;
  /** Closes the S3 client of the snapshot store, when there is one. */
  close(): void;
}

/** Where the adapters come from (tests pass specifiers of stand-ins). */
export interface ExternalTrainerLoaders {
  readonly remoteTrainer?: () => Promise<RemoteTrainerAdapter>;
  readonly s3?: () => Promise<S3Adapter>;
}

/**
 * Builds `remoteTrainer` of `@dissonance/adapter-remote-trainer` (loaded on demand) from `trainer.kind:
 * "external"`: its `http` worker, `timeoutMs`, `retries`, `retryDelayMs`, and with `snapshots.s3` an
 * `S3ObjectStore` of `@dissonance/adapter-s3` (also loaded on demand) through which jobs over
 * `snapshots.overBytes` and uploaded candidates travel.
 *
 * @throws DissonanceError `E_CONFIG` when a package is missing, or the config names a broker (not yet available).
 */
export async function externalTrainer(
  spec: ExternalTrainerSpec,
  runtime: ModelRuntime,
  loaders: ExternalTrainerLoaders = {},
): Promise<ConfigExternalTrainer> {
  if (spec.http === undefined) {
    throw new DissonanceError('E_CONFIG', 'trainer "external": only "http" workers are available in this version', {
      details: { field: 'trainer.broker' },
    });
  }
  const adapter = await (loaders.remoteTrainer ?? loadRemoteTrainerAdapter)();
  let snapshots: SnapshotOptions | undefined;
  let close = (): void => undefined;
  if (spec.snapshots !== undefined) {
    const s3 = await (
      loaders.s3 ??
      (() =>
        loadS3Adapter(undefined, {
          what: 'trainer.snapshots.s3',
          field: 'trainer.snapshots.s3',
        }))
    )();
    if (typeof s3.S3ObjectStore !== 'function')
      throw new DissonanceError(
        'E_CONFIG',
        'trainer.snapshots.s3 needs S3ObjectStore, which this @dissonance/adapter-s3 lacks; install a version that matches @dissonance/cli',
        { details: { field: 'trainer.snapshots.s3' } },
      );
    const store = new s3.S3ObjectStore(spec.snapshots.s3);
    close = () => store.close();
    snapshots = {
      store,
      ...(spec.snapshots.overBytes === undefined ? {} : { overBytes: spec.snapshots.overBytes }),
      ...(spec.snapshots.prefix === undefined ? {} : { prefix: spec.snapshots.prefix }),
    };
  }
  const trainer = adapter.remoteTrainer({
    http: { url: spec.http.url, ...(spec.http.headers === undefined ? {} : { headers: spec.http.headers }) },
    runtime,
    name: 'external',
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.retries === undefined ? {} : { retries: spec.retries }),
    ...(spec.retryDelayMs === undefined ? {} : { retryDelayMs: spec.retryDelayMs }),
    ...(snapshots === undefined ? {} : { snapshots }),
  });
  return { trainer, close };
}
