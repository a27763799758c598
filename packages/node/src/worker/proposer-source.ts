import type { LoadedModel } from '@dissonance/core';
import type { ProposerSource } from './worker-options.js';

/** The generate stage's proposer: fixed, or the registry's `champion`, reloaded when the alias moves. */
export interface CurrentProposer {
  /** The model to run now (the alias is re-read when `refreshMs` has passed). */
  current(): Promise<LoadedModel>;
  /** Disposes what it loaded. */
  close(): Promise<void>;
}

/** Follows a {@link ProposerSource}. Old versions are disposed once a newer one is loaded. */
export function currentProposer(source: ProposerSource): CurrentProposer {
  if ('model' in source) return { current: async () => source.model, close: async () => undefined };
  const refreshMs = source.refreshMs ?? 0;
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
    // Batches are handled one after another by default; with prefetch > 1 a batch may still hold the old one.
    if (previous !== undefined) setTimeout(() => void previous.dispose?.(), 5_000).unref();
    return next;
  };
  return {
    current: async () => {
      if (loaded !== undefined && Date.now() - checkedAt < refreshMs) return loaded;
      swap ??= load().finally(() => (swap = undefined));
      return swap;
    },
    close: async () => {
      await loaded?.dispose?.();
      loaded = undefined;
    },
  };
}
