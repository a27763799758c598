import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFloat32 } from '@dissonance/core/adapter-kit';

/** Known feature values that tests write and then look for in raw storage. */
export const SECRET_FEATURES = Float32Array.of(0.7316284, -12.625977, 4242.4243, 0.0031415926);

/**
 * The byte patterns that would betray `values` in plaintext storage: each value's float32 little-endian bytes,
 * its decimal text (as JSON writes the float32 value), and the base64 the plaintext formats use for the row.
 */
export function plaintextPatterns(values: Float32Array): { name: string; bytes: Buffer }[] {
  const patterns: { name: string; bytes: Buffer }[] = [];
  for (const value of values) {
    patterns.push({ name: `float32 bytes of ${value}`, bytes: Buffer.from(Float32Array.of(value).buffer) });
    patterns.push({ name: `decimal text of ${value}`, bytes: Buffer.from(String(value)) });
    patterns.push({ name: `short decimal text of ${value}`, bytes: Buffer.from(value.toPrecision(6)) });
  }
  patterns.push({ name: 'base64 of the row', bytes: Buffer.from(encodeFloat32(values)) });
  return patterns;
}

/** Every file under `dir`, recursively, with its raw bytes. */
export async function rawFiles(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const files: { path: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, bytes: await readFile(path) });
  }
  return files;
}

/** The patterns of {@link plaintextPatterns} found in `blobs`, as "pattern in path". */
export function leaks(blobs: readonly { path: string; bytes: Buffer }[], values: Float32Array): string[] {
  const found: string[] = [];
  for (const { path, bytes } of blobs) {
    for (const pattern of plaintextPatterns(values))
      if (bytes.includes(pattern.bytes)) found.push(`${pattern.name} in ${path}`);
  }
  return found;
}
