import { Field, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Utf8 } from 'apache-arrow';
import { DissonanceError } from '@dissonance/core';
import { JOB_FORMAT, JOB_POINTER_FORMAT } from './contract.js';

/** A job that travels through an object store: where its Arrow stream is, and what it must hash to. */
export interface JobPointer {
  readonly jobId: string;
  /** The object holding the job's Arrow stream (`s3://bucket/key`). */
  readonly uri: string;
  /** sha256 (lower-case hex) of the object's bytes. */
  readonly sha256: string;
  /** Size of the object in bytes. */
  readonly size: number;
}

/**
 * Encodes a pointer job: an Arrow IPC stream of one row (column `uri`) whose schema metadata are
 * `dissonance.format` = `dissonance-training-job-pointer/1`, `dissonance.job_id`, `dissonance.uri`,
 * `dissonance.sha256`, `dissonance.size` and `dissonance.job_format` (the format of the object it points to).
 */
export function encodeJobPointer(pointer: JobPointer): Uint8Array {
  const fields = [new Field('uri', new Utf8(), false)];
  const bytes = new TextEncoder().encode(pointer.uri);
  const column = makeData({
    type: new Utf8(),
    length: 1,
    nullCount: 0,
    valueOffsets: new Int32Array([0, bytes.length]),
    data: bytes,
  });
  const metadata = new Map<string, string>([
    ['dissonance.format', JOB_POINTER_FORMAT],
    ['dissonance.job_id', pointer.jobId],
    ['dissonance.uri', pointer.uri],
    ['dissonance.sha256', pointer.sha256],
    ['dissonance.size', String(pointer.size)],
    ['dissonance.job_format', JOB_FORMAT],
  ]);
  const schema = new Schema(fields, metadata);
  const struct = makeData({ type: new Struct(fields), length: 1, nullCount: 0, children: [column] });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'stream');
}

/**
 * Decodes {@link encodeJobPointer}'s output, or returns `undefined` for a stream of another format (a job).
 *
 * @throws DissonanceError `E_INPUT` for a pointer that misses a key or has a bad size.
 */
export function decodeJobPointer(bytes: Uint8Array): JobPointer | undefined {
  let meta: Map<string, string>;
  try {
    meta = tableFromIPC(bytes).schema.metadata;
  } catch {
    return undefined;
  }
  if (meta.get('dissonance.format') !== JOB_POINTER_FORMAT) return undefined;
  const get = (key: string): string => {
    const value = meta.get(key);
    if (value === undefined) throw new DissonanceError('E_INPUT', `job pointer: schema metadata ${key} is missing`);
    return value;
  };
  const size = Number(get('dissonance.size'));
  if (!Number.isSafeInteger(size) || size < 0)
    throw new DissonanceError('E_INPUT', `job pointer: dissonance.size ${get('dissonance.size')} is not a size`);
  return { jobId: get('dissonance.job_id'), uri: get('dissonance.uri'), sha256: get('dissonance.sha256'), size };
}
