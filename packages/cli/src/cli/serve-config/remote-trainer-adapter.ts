import { DissonanceError } from '@dissonance/core';
import type * as RemoteTrainerModule from '@dissonance/adapter-remote-trainer';

/** The optional package {@link loadRemoteTrainerAdapter} loads. */
export const REMOTE_TRAINER_PACKAGE = '@dissonance/adapter-remote-trainer';

/** The exports of `@dissonance/adapter-remote-trainer` that serve uses, typed from the adapter's own declarations. */
export type RemoteTrainerAdapter = Pick<typeof RemoteTrainerModule, 'remoteTrainer'>;

/**
 * Loads `@dissonance/adapter-remote-trainer` with a dynamic `import()` (never bundled, never required at
 * startup). Rejects with `E_CONFIG` naming the package to install when it is missing or lacks
 * `remoteTrainer`. `specifier` exists for tests.
 */
export async function loadRemoteTrainerAdapter(
  specifier: string = REMOTE_TRAINER_PACKAGE,
): Promise<RemoteTrainerAdapter> {
  let loaded: Partial<Record<keyof RemoteTrainerAdapter, unknown>>;
  try {
    loaded = (await import(specifier)) as Partial<Record<keyof RemoteTrainerAdapter, unknown>>;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DissonanceError(
        'E_CONFIG',
        `trainer "external" needs the optional package ${specifier}; install it next to @dissonance/cli (npm install ${specifier})`,
        { cause: error, details: { package: specifier, field: 'trainer.kind' } },
      );
    }
    throw error;
  }
  if (typeof loaded.remoteTrainer !== 'function') {
    throw new DissonanceError(
      'E_CONFIG',
      `${specifier} does not export remoteTrainer; install a version that matches @dissonance/cli`,
      { details: { package: specifier, field: 'trainer.kind' } },
    );
  }
  return loaded as RemoteTrainerAdapter;
}
