import type { S3Client } from '@aws-sdk/client-s3';
import type { KeyProvider } from '@dissonance/core';

/** Options of {@link S3Registry}. */
export interface S3RegistryOptions {
  /**
   * The client to use (its region, endpoint, credentials and retry settings). When given, `endpoint`, `region`
   * and `forcePathStyle` are ignored and `close()` leaves it open: its owner destroys it.
   */
  readonly client?: S3Client;
  /** The bucket holding the registry (it must exist). */
  readonly bucket: string;
  /** Key prefix of every object, e.g. `team-a/registry/`; a `/` is appended when missing. Default `''`. */
  readonly prefix?: string;
  /** S3-compatible endpoint URL (MinIO, moto, R2…); default: AWS for `region`. */
  readonly endpoint?: string;
  /** Region of the built client. Default `us-east-1`. */
  readonly region?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
  /** Server-side encryption of every object written: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS). */
  readonly sse?: 'AES256' | 'aws:kms';
  /** KMS key id or ARN for `sse: 'aws:kms'` (default: the bucket's / account's AWS-managed key). */
  readonly kmsKeyId?: string;
  /** Largest artifact accepted by `register` and `fetch`, in bytes; larger ones are refused with `E_INPUT`. Default: no limit. */
  readonly maxArtifactBytes?: number;
  /**
   * Client-side encryption of every artifact object with AES-256-GCM under the provider's current key, before
   * it leaves the process (independent of `sse`); `fetch` decrypts with the key the object's header names and
   * then checks size and sha256. Manifests and aliases stay readable. Default: none. A flipped byte → `E_DECRYPT`.
   */
  readonly encryption?: KeyProvider;
}
