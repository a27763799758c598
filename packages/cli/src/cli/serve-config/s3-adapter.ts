import { DissonanceError } from '@dissonance/core';
import type * as S3Module from '@dissonance/adapter-s3';

/** The optional package {@link loadS3Adapter} loads. */
export const S3_ADAPTER_PACKAGE = '@dissonance/adapter-s3';

/** Options of an `S3Registry` (the adapter's own type). */
export type S3RegistryLikeOptions = S3Module.S3RegistryOptions;

/**
 * The exports of `@dissonance/adapter-s3` that serve uses, typed from the adapter's own declarations
 * (`S3ObjectStore` for an external trainer's snapshots, checked where it is used).
 */
export type S3Adapter = Pick<typeof S3Module, 'S3Registry' | 'S3ObjectStore'>;

/** Why serve loads the adapter, for the message when it is missing: what needs it, and the config field. */
export interface S3AdapterUse {
  readonly what: string;
  readonly field: string;
}

/**
 * Loads `@dissonance/adapter-s3` with a dynamic `import()` (never bundled, never required at startup).
 * Rejects with `E_CONFIG` naming the package to install when it is missing or lacks `S3Registry`.
 * `specifier` exists for tests.
 */
export async function loadS3Adapter(
  specifier: string = S3_ADAPTER_PACKAGE,
  use: S3AdapterUse = { what: 'registry "s3"', field: 'registry.kind' },
): Promise<S3Adapter> {
  let loaded: Partial<Record<keyof S3Adapter, unknown>>;
  try {
    loaded = (await import(specifier)) as Partial<Record<keyof S3Adapter, unknown>>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DissonanceError(
        'E_CONFIG',
        `${use.what} needs the optional package ${specifier}; install it next to @dissonance/cli (npm install ${specifier})`,
        {
          cause: error,
          details: { package: specifier, field: use.field },
        },
      );
    }
    throw error;
  }
  if (typeof loaded.S3Registry !== 'function') {
    throw new DissonanceError(
      'E_CONFIG',
      `${specifier} does not export S3Registry; install a version that matches @dissonance/cli`,
      {
        details: { package: specifier, field: use.field },
      },
    );
  }
  return loaded as S3Adapter;
}
