import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DissonanceError } from '@dissonance/core';
import { isNotFound, s3CodeOf, statusOf } from './s3-errors.js';

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** The client to use; when given, `endpoint`, `region` and `forcePathStyle` are ignored and `close()` leaves it open. */
  readonly client?: S3Client;
  /** The bucket objects go to (it must exist). */
  readonly bucket: string;
  /** Key prefix prepended to every key, e.g. `team-a/`; a `/` is appended when missing. Default `''`. */
  readonly prefix?: string;
  /** S3-compatible endpoint URL (MinIO, moto, R2…); default: AWS for `region`. */
  readonly endpoint?: string;
  /** Region of the built client. Default `us-east-1`. */
  readonly region?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
  /** Server-side encryption of every object written. */
  readonly sse?: 'AES256' | 'aws:kms';
}

function storeError(error: unknown, operation: string, bucket: string): DissonanceError {
  if (error instanceof DissonanceError) return error;
  const status = statusOf(error);
  return new DissonanceError(
    'E_STORE',
    `s3 object store (bucket ${bucket}): ${operation} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${
      error instanceof Error ? error.message : String(error)
    }`,
    { cause: error, details: { operation, bucket, status: status ?? null, s3Code: s3CodeOf(error) ?? null } },
  );
}

/**
 * Plain objects in one S3 bucket, addressed by `s3://bucket/key` URIs: the `ObjectStore` port of
 * `@dissonance/adapter-remote-trainer` (large training jobs and uploaded candidates travel through it), usable
 * by anything that needs put / get / delete of bytes. Failures of S3 calls reject with `E_STORE`; a missing
 * object reads as `undefined`; a URI of another bucket rejects with `E_INPUT`.
 */
export class S3ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #sse: 'AES256' | 'aws:kms' | undefined;

  constructor(options: S3ObjectStoreOptions) {
    if (typeof options?.bucket !== 'string' || options.bucket.length === 0)
      throw new DissonanceError('E_CONFIG', 'S3ObjectStore: bucket must be a non-empty string', {
        details: { field: 'bucket' },
      });
    const prefix = options.prefix ?? '';
    this.bucket = options.bucket;
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.#ownsClient = options.client === undefined;
    this.#sse = options.sse;
    this.#client =
      options.client ??
      new S3Client({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      });
  }

  /** `s3://{bucket}/{prefix}{key}`. */
  uriOf(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  /** Writes `bytes` at `key` (under the prefix); resolves to its URI. */
  async put(key: string, bytes: Uint8Array): Promise<string> {
    const full = `${this.prefix}${key}`;
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: full,
          Body: bytes,
          ContentType: 'application/octet-stream',
          ...(this.#sse === undefined ? {} : { ServerSideEncryption: this.#sse }),
        }),
      );
    } catch (error) {
      throw storeError(error, `PutObject ${full}`, this.bucket);
    }
    return this.uriOf(key);
  }

  /** The bytes at `uri`, or `undefined` when there is no such object. */
  async get(uri: string): Promise<Uint8Array | undefined> {
    const key = this.#keyOf(uri);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw storeError(error, `GetObject ${key}`, this.bucket);
    }
  }

  /** Deletes the object at `uri`; no error when there is none. */
  async delete(uri: string): Promise<void> {
    const key = this.#keyOf(uri);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw storeError(error, `DeleteObject ${key}`, this.bucket);
    }
  }

  /** Destroys the client it built (not one passed in `options.client`). */
  close(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  #keyOf(uri: string): string {
    const head = `s3://${this.bucket}/`;
    if (!uri.startsWith(head) || uri.length === head.length)
      throw new DissonanceError('E_INPUT', `s3 object store: ${uri} is not an object of bucket ${this.bucket}`, {
        details: { uri, bucket: this.bucket },
      });
    return uri.slice(head.length);
  }
}
