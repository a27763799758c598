import type { LoadedModel } from '@dissonance/core';
import { ModelLeases } from '@dissonance/core/adapter-kit';
import type { ProposerSource } from './worker-options.js';

/** Default of {@link ProposerSource}'s `refreshMs`: how stale the `champion` alias may be, in ms. */
export const DEFAULT_PROPOSER_REFRESH_MS = 1_000;

/** The generate stage's proposer: fixed, or the registry's `champion`, reloaded when the alias moves. */
export interface CurrentProposer {
  /**
   * Runs the current proposer on `rows` rows (the alias is re-read once `refreshMs` has passed); the model
   * that answers is not disposed before its run settles, even when a newer version is loaded meanwhile.
   */
  run(x: Float32Array, rows: number): Promise<{ readonly model: LoadedModel; readonly probabilities: Float32Array }>;
  /** Disposes what it loaded. */
  close(): Promise<void>;
}

/** Follows a {@link ProposerSource}. A replaced version is disposed once its last run has settled. */
export function currentProposer(source: ProposerSource): CurrentProposer {
  if ('model' in source) {
    return {
      run: async (x, rows) => ({ model: source.model, probabilities: await source.model.run(x, rows) }),
      close: async () => undefined,
    };
  }
  const refreshMs = source.refreshMs ?? DEFAULT_PROPOSER_REFRESH_MS;
  const leases = new ModelLeases();
  let loaded: LoadedModel | undefined;
  let checkedAt = -Infinity;
  let swap: Promise<LoadedModel> | undefined;
  const load = async (): Promise<LoadedModel> => {
    const version = await source.registry.resolve(source.name, 'champion');
    checkedAt = Date.now();
    if (loaded?.version === version.version) return loaded;
    const { artifact } = await source.registry.fetch(source.name, version.version);
    const next = await source.runtime.load(artifact, version);
    const previous = loaded;
    loaded = next;
    if (previous !== undefined) await leases.retire(previous);
    return next;
  };
  const current = async (): Promise<LoadedModel> => {
    if (loaded !== undefined && Date.now() - checkedAt < refreshMs) return loaded;
    swap ??= load().finally(() => (swap = undefined));
    return swap;
  };
  return {
    run: async (x, rows) => {
      const model = await current();
      leases.acquire(model);
      try {
        return { model, probabilities: await model.run(x, rows) };
      } finally {
        await leases.release(model);
      }
    },
    close: async () => {
      if (loaded !== undefined) await leases.retire(loaded);
      loaded = undefined;
    },
  };
}
