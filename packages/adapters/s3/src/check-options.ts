import { DissonanceError } from '@dissonance/core';
import type { S3RegistryOptions } from './options.js';

/** Checks {@link S3RegistryOptions} (`E_CONFIG` naming the field) and returns the resolved limits. */
export function checkOptions(options: S3RegistryOptions): { readonly maxArtifactBytes: number } {
  if (typeof options !== 'object' || options === null) throw config('options', 'must be an object');
  if (typeof options.bucket !== 'string' || options.bucket.length === 0)
    throw config('bucket', 'must be a non-empty string');
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw config('prefix', 'must be a string');
  if (options.sse !== undefined && options.sse !== 'AES256' && options.sse !== 'aws:kms') {
    throw config('sse', `must be 'AES256' or 'aws:kms', got ${String(options.sse)}`);
  }
  if (options.kmsKeyId !== undefined && options.sse !== 'aws:kms') throw config('kmsKeyId', "needs sse: 'aws:kms'");
  const max = options.maxArtifactBytes ?? Number.POSITIVE_INFINITY;
  if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max >= 1))) {
    throw config('maxArtifactBytes', `must be a positive integer, got ${String(max)}`);
  }
  return { maxArtifactBytes: max };
}

function config(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `S3Registry: ${field} ${problem}`, { details: { field } });
}
