import { DissonanceError, type ModelRuntime } from '@dissonance/core';
import type { RemoteTrainer, SnapshotOptions } from '@dissonance/adapter-remote-trainer';
import { connectBroker, type BrokerKind } from '../../demo/distributed/broker.js';
import type { ServeConfig } from './config-schema.js';
import { loadRemoteTrainerAdapter, type RemoteTrainerAdapter } from './remote-trainer-adapter.js';
import { loadS3Adapter, type S3Adapter } from './s3-adapter.js';

/** The `trainer` section of a serve config with `kind: "external"`. */
export type ExternalTrainerSpec = Extract<ServeConfig['trainer'], { kind: 'external' }>;

/** An external trainer built from a serve config, and what to close when serve stops. */
export interface ConfigExternalTrainer {
  readonly trainer: RemoteTrainer;
  /** Closes the trainer's result subscription and broker connection, and the S3 client of the snapshot store. */
  close(): Promise<void>;
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
 * `snapshots.overBytes` and uploaded candidates travel. With `broker` instead of `http`, jobs go over RabbitMQ,
 * NATS JetStream or Redis Streams (`@dissonance/adapter-amqp`, `-nats` or `-redis`, loaded on demand).
 *
 * @throws DissonanceError `E_CONFIG` when a package is missing; the transport's error when the broker cannot be
 * reached.
 */
export async function externalTrainer(
  spec: ExternalTrainerSpec,
  runtime: ModelRuntime,
  loaders: ExternalTrainerLoaders = {},
): Promise<ConfigExternalTrainer> {
  const adapter = await (loaders.remoteTrainer ?? loadRemoteTrainerAdapter)();
  let snapshots: SnapshotOptions | undefined;
  let closeStore = (): void => undefined;
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
    closeStore = () => store.close();
    snapshots = {
      store,
      ...(spec.snapshots.overBytes === undefined ? {} : { overBytes: spec.snapshots.overBytes }),
      ...(spec.snapshots.prefix === undefined ? {} : { prefix: spec.snapshots.prefix }),
    };
  }
  const transport =
    spec.broker === undefined
      ? undefined
      : await connectBroker(brokerKind(spec.broker.url), 'dissonance', spec.broker.url);
  const channel =
    spec.broker === undefined || transport === undefined
      ? { http: { url: spec.http!.url, ...(spec.http!.headers === undefined ? {} : { headers: spec.http!.headers }) } }
      : {
          transport: {
            transport,
            ...(spec.broker.jobsTopic === undefined ? {} : { jobsTopic: spec.broker.jobsTopic }),
            ...(spec.broker.resultsTopic === undefined ? {} : { resultsTopic: spec.broker.resultsTopic }),
          },
        };
  const trainer = adapter.remoteTrainer({
    ...channel,
    runtime,
    name: 'external',
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.retries === undefined ? {} : { retries: spec.retries }),
    ...(spec.retryDelayMs === undefined ? {} : { retryDelayMs: spec.retryDelayMs }),
    ...(snapshots === undefined ? {} : { snapshots }),
  });
  return {
    trainer,
    close: async () => {
      await trainer.close();
      await transport?.close();
      closeStore();
    },
  };
}

/** The transport adapter a broker URL names (the schema admits amqp(s)://, nats:// and redis(s):// only). */
function brokerKind(url: string): BrokerKind {
  if (url.startsWith('amqp')) return 'amqp';
  if (url.startsWith('nats')) return 'nats';
  return 'redis';
}
