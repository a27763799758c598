import { DEFAULT_POLICY, type Policy } from '../schema/policy.js';

/** Freezes `value` and every object inside it. */
function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value))
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner as object);
  return Object.freeze(value);
}

/**
 * Every default of {@link EngineConfig}, in one place: {@link resolveEngineConfig} fills what a config leaves
 * out from here and nowhere else, and the config's doc comments point here instead of repeating the values.
 * `undefined` means "off". Frozen.
 */
export const ENGINE_DEFAULTS = deepFreeze({
  /** Policy values (the proof of concept's). */
  policy: { ...DEFAULT_POLICY } as Policy,
  /**
   * Retrain triggers and limits. What a fit does is the trainer's: the built-in one (`createMlpTrainer`) refits
   * from fresh weights, for at least 600 steps, while a fit has fewer than 2,000 examples and the champion
   * learnt from the replay buffer alone, else warm-starts from the champion (its `refitBelow` and `minSteps`,
   * `DEFAULT_REFIT_BELOW` and `DEFAULT_MIN_STEPS` in `@dissonance/core/mlp`); either way the candidate meets
   * `policy.klEps` before validation.
   */
  retrain: {
    /** Retrain after this many new examples; 0 disables the count trigger. */
    everyExamples: 100,
    /** Interval trigger in ms: off. */
    everyMs: undefined as number | undefined,
    /** Fewest examples a retrain needs. */
    minExamples: 20,
    /** Newest replay examples used per retrain. */
    maxExamples: 5_000,
    /** The stream keeps flowing while a retrain runs. */
    mode: 'background' as 'background' | 'inline',
    /** Registration retry period in ms while the registry is unreachable. */
    registryRetryMs: 5_000,
    /** Trainer seed of the first retrain. */
    seed: 1,
    /** Cooldown in ms between the end of one retrain and the start of the next. */
    minIntervalMs: 0,
  },
  rollout: {
    /** Share of traffic the challenger serves during its canary. */
    canaryFraction: 0.1,
    /** Challenger rows before the canary is judged. */
    canarySamples: 100,
    /** Labelled rows per arm before accuracy decides. */
    canaryMinLabelled: 20,
    /** Largest rise in mean dissonance a label-less canary may show. */
    dissonanceTolerance: 0.02,
  },
  /** Largest batch `process` accepts, in rows. */
  maxBatchRows: 4_096,
  /** Batches generated and detected at once. */
  concurrency: 2,
  /** Batches waiting beyond `concurrency` before backpressure applies. */
  maxQueue: 64,
  /** On a full queue: wait for room. */
  overload: 'wait' as 'wait' | 'reject',
  /** Champion alias polling in ms: off. */
  championRefreshMs: undefined as number | undefined,
  /** Defaults of {@link Engine.feedback}. */
  feedback: {
    /** Accepted feedback items between two retrains started by feedback; 0: never. */
    retrainEvery: 32,
    /** How long a feedback id is remembered, in ms (7 days). */
    dedupTtlMs: 7 * 24 * 3_600_000,
    /** Quarantined feedback records kept for review. */
    maxQuarantine: 1_000,
  },
});

/** The type of {@link ENGINE_DEFAULTS}. */
export type EngineDefaults = typeof ENGINE_DEFAULTS;
