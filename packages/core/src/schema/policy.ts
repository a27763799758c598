import { z } from 'zod';

/**
 * The reconcile and retrain policy. Defaults are the proof of concept's (except `dBudgetPerHour`, now 10⁶): `D_target 0.12`, `λ_max 0.05`,
 * `KL_eps 0.02`, `d_budget_per_hour 100`, `max_dissonance 0.5`, roll back on a golden drop over 1.5 points.
 */
export const policySchema = z
  .object({
    /** `D_target` of the ADR loss. */
    dTarget: z.number().finite().min(0).default(0.12),
    /** Upper bound of the dissonance-term weight `λ`. */
    lambdaMax: z.number().finite().min(0).default(0.05),
    /** Bound on `KL(old‖new)` over the reference set. */
    klEps: z.number().finite().positive().default(0.02),
    /**
     * Dissonant items acted on per hour (token bucket holding one hour's worth); the rest are deferred to the
     * next tokens, counted in `deferred`. Default 1,000,000: a safety valve that a fast stream does not hit
     * (the proof of concept's 100 deferred most of a 3,000-item stream); the label spend is paced by the label
     * source (`oracleLabels({ budget, pace })`).
     */
    dBudgetPerHour: z.number().finite().positive().default(1_000_000),
    /**
     * Items whose dissonance is above this are quarantined: never pseudo-labelled or trained on an automatic
     * label. With label sources they are still sent to them first (the most informative items); only an
     * `oracle` or `feedback` answer is kept.
     */
    maxDissonance: z.number().finite().positive().default(0.5),
    /** An item counts as dissonant (spends budget, may be sent for a label) at or above this. */
    dissonanceThreshold: z.number().finite().min(0).default(0.12),
    /** Largest golden-accuracy drop (fraction: 0.015 = 1.5 points) a candidate may show and still be promoted. */
    maxGoldenDrop: z.number().finite().min(0).max(1).default(0.015),
  })
  .strict();

/** The policy in force (all fields present). */
export type Policy = z.infer<typeof policySchema>;

/** A partial policy, as given in config or to `engine.updatePolicy`. */
export type PolicyPatch = Partial<Policy>;

/** The default policy. */
export const DEFAULT_POLICY: Policy = Object.freeze(policySchema.parse({}));
