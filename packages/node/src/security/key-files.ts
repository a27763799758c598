import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DissonanceError, type SigningKeyPair } from '@dissonance/core';
import { syncDirectory, writeNewFile } from '../files/atomic-write.js';

/** File name of the private signing key that `dissonance keys generate` writes (mode 0600). */
export const PRIVATE_KEY_FILE = 'signing-key.jwk';
/** File name of the public key that `dissonance keys generate` writes. */
export const PUBLIC_KEY_FILE = 'signing-key.pub.jwk';

/** Where {@link writeSigningKeyPair} put the keys. */
export interface KeyFiles {
  readonly keyId: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
}

/**
 * Writes a key pair as JWK files in `dir` (created when absent): the private key with mode 0600, the public
 * key with 0644, both fsync'd. Existing files are never overwritten (`E_CONFIG`).
 */
export async function writeSigningKeyPair(dir: string, pair: SigningKeyPair): Promise<KeyFiles> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const privateKeyPath = join(root, PRIVATE_KEY_FILE);
  const publicKeyPath = join(root, PUBLIC_KEY_FILE);
  for (const path of [privateKeyPath, publicKeyPath]) {
    if (await exists(path))
      throw new DissonanceError('E_CONFIG', `${path} already exists; refusing to overwrite a key`, {
        details: { path },
      });
  }
  // Created 0600 (never readable by others, not even briefly); chmod as well in case the umask is unusual.
  await writeNewFile(privateKeyPath, `${JSON.stringify(pair.privateKey, null, 2)}\n`, 0o600);
  await chmod(privateKeyPath, 0o600);
  await writeNewFile(publicKeyPath, `${JSON.stringify(pair.publicKey, null, 2)}\n`);
  await syncDirectory(root);
  return { keyId: pair.keyId, privateKeyPath, publicKeyPath };
}

/** The text of a key file (JWK or PEM), for `importSigningKey` / `importVerifyKey`; a missing file → `E_CONFIG`. */
export async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new DissonanceError(
      'E_CONFIG',
      `cannot read key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
}

/** True when a private key file can be read by its group or others (POSIX permissions; false on Windows). */
export async function privateKeyExposed(path: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  return ((await stat(path)).mode & 0o077) !== 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
