import { DissonanceError, type KeyProvider, type ModelRegistry } from '@dissonance/core';

/** The optional package {@link loadS3Adapter} loads. */
export const S3_ADAPTER_PACKAGE = '@dissonance/adapter-s3';

/** Options of an `S3Registry` that a serve config can give (see `@dissonance/adapter-s3`). */
export interface S3RegistryLikeOptions {
  readonly bucket: string;
  readonly prefix?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  readonly sse?: 'AES256' | 'aws:kms';
  readonly kmsKeyId?: string;
  readonly maxArtifactBytes?: number;
  readonly encryption?: KeyProvider;
}

/** The exports of `@dissonance/adapter-s3` that serve uses, typed here so that the package stays optional. */
export interface S3Adapter {
  readonly S3Registry: new (options: S3RegistryLikeOptions) => ModelRegistry & { close?(): void | Promise<void> };
}

/**
 * Loads `@dissonance/adapter-s3` with a dynamic `import()` (never bundled, never required at startup).
 * Rejects with `E_CONFIG` naming the package to install when it is missing or lacks `S3Registry`.
 * `specifier` exists for tests.
 */
export async function loadS3Adapter(specifier: string = S3_ADAPTER_PACKAGE): Promise<S3Adapter> {
  let loaded: Partial<Record<keyof S3Adapter, unknown>>;
  try {
    loaded = (await import(specifier)) as Partial<Record<keyof S3Adapter, unknown>>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DissonanceError('E_CONFIG', `registry "s3" needs the optional package ${specifier}; install it next to @dissonance/node (npm install ${specifier})`, {
        cause: error,
        details: { package: specifier, field: 'registry.kind' },
      });
    }
    throw error;
  }
  if (typeof loaded.S3Registry !== 'function') {
    throw new DissonanceError('E_CONFIG', `${specifier} does not export S3Registry; install a version that matches @dissonance/node`, {
      details: { package: specifier, field: 'registry.kind' },
    });
  }
  return loaded as S3Adapter;
}
