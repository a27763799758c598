import { DissonanceError } from '@dissonance/core';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import { encodeJob } from './codec.js';
import type { TrainingJob, TrainingResult } from './contract.js';
import { encodeJobPointer } from './job-pointer.js';
import {
  DEFAULT_SNAPSHOT_OVER_BYTES,
  DEFAULT_SNAPSHOT_PREFIX,
  type ObjectStore,
  type SnapshotOptions,
} from './object-store.js';

/** What the staging of jobs and results counted (objects put, fetched, deleted, left behind). */
export interface StagingCounts {
  put: number;
  fetched: number;
  deleted: number;
  /** Deletes that failed (the object stays; a bucket lifecycle rule on the prefix removes it). */
  deleteFailed: number;
}

/** How one trainer turns jobs into request bodies and URI-only results into bytes, and cleans up after. */
export interface JobStaging {
  /** The request body of `job`: its Arrow stream, or a pointer to it once put in the store (over `overBytes`). */
  encode(job: TrainingJob): Promise<Uint8Array>;
  /** `result` with its ONNX bytes: as given, or fetched from the store and checked against its sha256. */
  resolve(job: TrainingJob, result: TrainingResult): Promise<TrainingResult>;
  /** Deletes the objects of job `jobId`: the snapshot it put, the result at the URI it assigned. Never rejects. */
  cleanup(jobId: string): Promise<void>;
  readonly objects: StagingCounts;
}

function refused(jobId: string, message: string, details: Record<string, string | number> = {}): DissonanceError {
  return new DissonanceError('E_TRAINER', `remote trainer: job ${jobId}: ${message}`, {
    details: { jobId, ...details },
  });
}

/** Staging without a store: jobs inline, and a result that carries only a URI refused. */
function inline(): JobStaging {
  return {
    objects: { put: 0, fetched: 0, deleted: 0, deleteFailed: 0 },
    encode: (job) => Promise.resolve(encodeJob(job)),
    resolve(job, result) {
      if (result.onnx !== undefined) return Promise.resolve(result);
      return Promise.reject(
        refused(
          job.jobId,
          `the result carries only a URI (${result.uri ?? 'none'}) and this remoteTrainer has no object store: ` +
            'set its snapshots.store (e.g. S3ObjectStore of @dissonance/adapter-s3) to fetch such results',
          { uri: result.uri ?? '' },
        ),
      );
    },
    cleanup: () => Promise.resolve(),
  };
}

/**
 * The staging of a `remoteTrainer`: inline without `options`; with them, jobs over `overBytes` go through
 * `options.store` under `{prefix}{jobId}/job.arrow`, every job names `{prefix}{jobId}/result.onnx` as its
 * `resultUri`, and a URI-only result is fetched from the store (from that URI only) and checked against its sha256.
 *
 * @throws DissonanceError `E_CONFIG` for a bad `overBytes` or `prefix`, or a store without the port's methods.
 */
export function jobStaging(options: SnapshotOptions | undefined): JobStaging {
  if (options === undefined) return inline();
  const store: ObjectStore = options.store;
  const overBytes = options.overBytes ?? DEFAULT_SNAPSHOT_OVER_BYTES;
  const prefix = options.prefix ?? DEFAULT_SNAPSHOT_PREFIX;
  if (!(Number.isSafeInteger(overBytes) && overBytes >= 0))
    throw new DissonanceError(
      'E_CONFIG',
      `remoteTrainer: snapshots.overBytes must be an integer ≥ 0, got ${overBytes}`,
    );
  if (typeof prefix !== 'string')
    throw new DissonanceError('E_CONFIG', 'remoteTrainer: snapshots.prefix must be a string');
  for (const method of ['put', 'get', 'delete', 'uriOf'] as const) {
    if (typeof store?.[method] !== 'function')
      throw new DissonanceError('E_CONFIG', `remoteTrainer: snapshots.store has no ${method}() (an ObjectStore)`);
  }
  const root = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const objects: StagingCounts = { put: 0, fetched: 0, deleted: 0, deleteFailed: 0 };
  /** URIs to delete once each job is over. */
  const owned = new Map<string, string[]>();
  const own = (jobId: string, uri: string): void => {
    owned.set(jobId, [...(owned.get(jobId) ?? []), uri]);
  };

  return {
    objects,
    async encode(job) {
      const resultUri = store.uriOf(`${root}${job.jobId}/result.onnx`);
      // Whatever the worker uploads there is the engine's to delete, fetched or not.
      own(job.jobId, resultUri);
      const bytes = encodeJob({ ...job, resultUri });
      if (bytes.length <= overBytes) return bytes;
      const sha256 = await sha256Hex(bytes);
      const uri = await store.put(`${root}${job.jobId}/job.arrow`, bytes);
      objects.put++;
      own(job.jobId, uri);
      return encodeJobPointer({ jobId: job.jobId, uri, sha256, size: bytes.length });
    },
    async resolve(job, result) {
      if (result.onnx !== undefined) return result;
      const uri = result.uri;
      if (uri === undefined) throw refused(job.jobId, 'the result carries neither ONNX bytes nor a URI');
      // Only the object this job was told to upload to is read: a worker cannot make the engine fetch others.
      const assigned = store.uriOf(`${root}${job.jobId}/result.onnx`);
      if (uri !== assigned)
        throw refused(job.jobId, `the result's URI ${uri} is not the one the job assigned (${assigned})`, {
          uri,
          assigned,
        });
      let bytes: Uint8Array | undefined;
      try {
        bytes = await store.get(uri);
      } catch (error) {
        throw refused(
          job.jobId,
          `the result's object ${uri} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
          { uri },
        );
      }
      if (bytes === undefined) throw refused(job.jobId, `the result's object ${uri} is missing`, { uri, missing: 1 });
      objects.fetched++;
      const digest = await sha256Hex(bytes);
      if (digest !== result.sha256)
        throw refused(job.jobId, `sha256 of the object ${uri} is ${digest}, the result declares ${result.sha256}`, {
          uri,
          sha256: digest,
          declared: result.sha256,
        });
      return { ...result, onnx: bytes };
    },
    async cleanup(jobId) {
      const uris = owned.get(jobId) ?? [];
      owned.delete(jobId);
      await Promise.all(
        uris.map((uri) =>
          store.delete(uri).then(
            () => void objects.deleted++,
            () => void objects.deleteFailed++,
          ),
        ),
      );
    },
  };
}
