import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isConditionFailed, isNotFound, unavailable } from './s3-errors.js';

/** Server-side encryption settings applied to every object written. */
export interface Encryption {
  readonly sse?: 'AES256' | 'aws:kms';
  readonly kmsKeyId?: string;
}

/** An object read back: its bytes and its ETag (as the server sent it, quotes included). */
export interface StoredObject {
  readonly bytes: Uint8Array;
  readonly etag: string | undefined;
}

/** How a conditional write is guarded: create only (`If-None-Match: *`) or replace only that ETag (`If-Match`). */
export type WriteCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: string };

/** Metadata key holding the random token of the writer of an object (`x-amz-meta-dissonance-writer`). */
const WRITER = 'dissonance-writer';

/**
 * The few S3 calls the registry makes, on one bucket, with S3 failures mapped to typed errors
 * (`E_REGISTRY_UNAVAILABLE`) and "not found" / "condition failed" turned into plain results.
 */
export class BucketObjects {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly encryption: Encryption,
  ) {}

  /** The object at `key`, or undefined when there is none. */
  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = out.Body === undefined ? new Uint8Array(0) : await out.Body.transformToByteArray();
      return { bytes, etag: out.ETag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw unavailable(error, `GetObject ${key}`, this.bucket);
    }
  }

  /**
   * Writes `key` only when `condition` holds, then verifies the write: reads the object's metadata back and
   * checks that it carries this write's random token. Returns false when the condition failed (412 or 409,
   * or 404 for an `If-Match` on an object deleted meanwhile) or another writer's object is there now.
   *
   * The read-back matters on servers that check conditions without atomicity (moto checks, then writes):
   * of two writers that both passed the check, the one whose object was overwritten sees a foreign token.
   */
  async putIf(key: string, body: Uint8Array, contentType: string, condition: WriteCondition): Promise<boolean> {
    const token = globalThis.crypto.randomUUID();
    try {
      await this.client.send(new PutObjectCommand(this.#putInput(key, body, contentType, condition, token)));
    } catch (error) {
      if (isConditionFailed(error) || ('ifMatch' in condition && isNotFound(error))) return false;
      throw unavailable(error, `PutObject ${key}`, this.bucket);
    }
    return (await this.writerOf(key)) === token;
  }

  /** The writer token of the object at `key` (undefined when absent or written by something else). */
  async writerOf(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Metadata?.[WRITER];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw unavailable(error, `HeadObject ${key}`, this.bucket);
    }
  }

  /** Deletes `key`; no error when it does not exist. */
  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw unavailable(error, `DeleteObject ${key}`, this.bucket);
    }
  }

  /** Every key under `prefix`, following continuation tokens. */
  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.#list(prefix, 1000, token);
      for (const item of out.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  /** True when at least one key starts with `prefix`. */
  async hasAny(prefix: string): Promise<boolean> {
    const out = await this.#list(prefix, 1, undefined);
    return (out.KeyCount ?? out.Contents?.length ?? 0) > 0;
  }

  /** `HeadBucket`: resolves when the bucket answers and is reachable with these credentials. */
  async headBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw unavailable(error, 'HeadBucket', this.bucket);
    }
  }

  async #list(prefix: string, maxKeys: number, token: string | undefined) {
    try {
      return await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: maxKeys,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
    } catch (error) {
      throw unavailable(error, `ListObjectsV2 ${prefix}`, this.bucket);
    }
  }

  #putInput(
    key: string,
    body: Uint8Array,
    contentType: string,
    condition: WriteCondition | undefined,
    token?: string,
  ): PutObjectCommandInput {
    const { sse, kmsKeyId } = this.encryption;
    return {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ...(token === undefined ? {} : { Metadata: { [WRITER]: token } }),
      ...(condition === undefined
        ? {}
        : 'ifMatch' in condition
          ? { IfMatch: condition.ifMatch }
          : { IfNoneMatch: '*' }),
      ...(sse === undefined ? {} : { ServerSideEncryption: sse }),
      ...(sse === 'aws:kms' && kmsKeyId !== undefined ? { SSEKMSKeyId: kmsKeyId } : {}),
    };
  }
}
