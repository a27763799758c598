import { DissonanceError, type Engine, type ModelRegistry, type Scalar } from '@dissonance/core';

/** The optional package {@link loadMlflowAdapter} loads. */
export const MLFLOW_ADAPTER_PACKAGE = '@dissonance/adapter-mlflow';

/** The parts of an `MlflowRegistry` the node package uses. */
export interface MlflowRegistryLike extends ModelRegistry {
  runIdOf(name: string, version: string): Promise<string>;
  close(): Promise<void>;
}

/** An `MlflowTracking` client, passed back to the adapter only. */
export type MlflowTrackingLike = object;

/** What `recordEngineRuns` returns (see `@dissonance/adapter-mlflow`). */
export interface EngineRunsLike {
  readonly run: { readonly runId: string };
  finish(status?: 'FINISHED' | 'FAILED'): Promise<void>;
}

/**
 * The exports of `@dissonance/adapter-mlflow` the node package uses, typed here so that neither tsc nor the
 * bundler needs the package: it is an optional peer, loaded only when asked for.
 */
export interface MlflowAdapter {
  readonly MlflowRegistry: new (options: { readonly url: string; readonly experimentName?: string }) => MlflowRegistryLike;
  readonly MlflowTracking: new (options: { readonly url: string }) => MlflowTrackingLike;
  readonly recordEngineRuns: (
    engine: Pick<Engine, 'on' | 'off'>,
    options: {
      readonly tracking: MlflowTrackingLike;
      readonly registry: MlflowRegistryLike;
      readonly modelName: string;
      readonly experimentName: string;
      readonly runName?: string;
      readonly params?: Readonly<Record<string, Scalar>>;
      readonly tags?: Readonly<Record<string, string>>;
      readonly critics?: () => readonly { readonly name: string; readonly version: string }[];
      readonly stepMetrics?: () => Readonly<Record<string, number>>;
      readonly champion?: string;
    },
  ) => Promise<EngineRunsLike>;
}

/**
 * Loads `@dissonance/adapter-mlflow` with a dynamic `import()` (the specifier is a variable, so it is never
 * bundled nor required at startup). Rejects with `E_CONFIG` naming the package to install when it is missing
 * or is not a version with the expected exports. `specifier` exists for tests.
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
        `--registry mlflow needs the optional package ${specifier}; install it next to @dissonance/node (npm install ${specifier})`,
        { cause: error, details: { package: specifier } },
      );
    }
    throw error;
  }
  const missing = (['MlflowRegistry', 'MlflowTracking', 'recordEngineRuns'] as const).filter((key) => typeof loaded[key] !== 'function');
  if (missing.length > 0) {
    throw new DissonanceError('E_CONFIG', `${specifier} does not export ${missing.join(', ')}; install a version that matches @dissonance/node`, {
      details: { package: specifier, missing },
    });
  }
  return loaded as unknown as MlflowAdapter;
}
