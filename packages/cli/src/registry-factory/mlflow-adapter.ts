import { DissonanceError } from '@dissonance/core';
import type * as MlflowModule from '@dissonance/adapter-mlflow';

/** The optional package {@link loadMlflowAdapter} loads. */
export const MLFLOW_ADAPTER_PACKAGE = '@dissonance/adapter-mlflow';

/** The exports of `@dissonance/adapter-mlflow` the CLI uses, typed from the adapter's own declarations. */
export type MlflowAdapter = Pick<typeof MlflowModule, 'MlflowRegistry' | 'MlflowTracking' | 'recordEngineRuns'>;

/** An `MlflowRegistry` of the adapter. */
export type MlflowRegistryLike = InstanceType<MlflowAdapter['MlflowRegistry']>;

/** An `MlflowTracking` client of the adapter. */
export type MlflowTrackingLike = InstanceType<MlflowAdapter['MlflowTracking']>;

/** What `recordEngineRuns` of the adapter resolves to. */
export type EngineRunsLike = Awaited<ReturnType<MlflowAdapter['recordEngineRuns']>>;

/**
 * Loads `@dissonance/adapter-mlflow` (an optional peer) with a dynamic `import()` (the specifier is a variable,
 * so it is never bundled nor required at startup). Rejects with `E_CONFIG` naming the package to install when
 * it is missing or is not a version with the expected exports. `specifier` exists for tests.
 */
export async function loadMlflowAdapter(specifier: string = MLFLOW_ADAPTER_PACKAGE): Promise<MlflowAdapter> {
  let loaded: Partial<Record<keyof MlflowAdapter, unknown>>;
  try {
    loaded = (await import(specifier)) as Partial<Record<keyof MlflowAdapter, unknown>>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DissonanceError(
        'E_CONFIG',
        `--registry mlflow needs the optional package ${specifier}; install it next to @dissonance/cli (npm install ${specifier})`,
        { cause: error, details: { package: specifier } },
      );
    }
    throw error;
  }
  const missing = (['MlflowRegistry', 'MlflowTracking', 'recordEngineRuns'] as const).filter(
    (key) => typeof loaded[key] !== 'function',
  );
  if (missing.length > 0) {
    throw new DissonanceError(
      'E_CONFIG',
      `${specifier} does not export ${missing.join(', ')}; install a version that matches @dissonance/cli`,
      {
        details: { package: specifier, missing },
      },
    );
  }
  return loaded as unknown as MlflowAdapter;
}
