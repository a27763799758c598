import { z } from 'zod';

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Largest feature magnitude accepted. Features travel as float32 (max 3.4e38), but a value that merely fits
 * is not safe: a dense layer sums width × |weight| × |feature|, and a trainer squares it, so 3.4e38 in every
 * feature overflows to ±Infinity and then NaN inside the models. 1e15 leaves room for widths up to 100 000
 * and weights up to 1e3 (logits below 1e23, squares below 1e30) while covering any real measurement.
 */
export const MAX_ABS_FEATURE = 1e15;

/** Most rows of one `POST /v1/predict`. */
export const MAX_PREDICT_ROWS = 4096;

/**
 * Most output values (rows × classes) one `POST /v1/predict` may ask for. The request's size grows with the width,
 * the reply's and the work's with rows × classes: without this bound a request of 40 KB to a model of 1,000
 * classes was answered with 90 MB of JSON. 131,072 is 4,096 rows of 32 classes (about 3 MB of JSON).
 */
export const MAX_PREDICT_OUTPUTS = 131_072;

/** Most items of one `POST /v1/feedback`. */
export const MAX_FEEDBACK_ITEMS = 1000;

/** A finite number within ±{@link MAX_ABS_FEATURE} (NaN, ±Infinity and float32 overflow refused). */
export const featureSchema = z
  .number({ error: 'expected a finite number' })
  .min(-MAX_ABS_FEATURE, { error: `must be ≥ -${MAX_ABS_FEATURE} (larger magnitudes overflow float32 in the models)` })
  .max(MAX_ABS_FEATURE, { error: `must be ≤ ${MAX_ABS_FEATURE} (larger magnitudes overflow float32 in the models)` });

/** A finite number that fits a float32 (policy values). */
export const finiteSchema = z.number({ error: 'expected a finite number' }).min(-FLOAT32_MAX).max(FLOAT32_MAX);

/** Item ids: printable, 1–200 characters. */
export const itemIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Model names and versions in paths. */
export const nameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+$/);

/** Body of `POST /v1/predict`. */
export const predictRequestSchema = z.strictObject({
  rows: z.array(z.array(featureSchema).min(1).max(100_000)).min(1).max(MAX_PREDICT_ROWS),
});

/** Response of `POST /v1/predict`. */
export const predictResponseSchema = z.object({
  model: z.object({ name: z.string(), version: z.string() }),
  probabilities: z.array(z.array(z.number())),
  dissonance: z.array(z.number()),
});

/** One item of `POST /v1/feedback`. */
export const feedbackItemSchema = z.strictObject({
  id: itemIdSchema,
  features: z.array(featureSchema).min(1).max(100_000),
  label: z.number().int().min(0).max(100_000),
});

/** Body of `POST /v1/feedback`. */
export const feedbackRequestSchema = z.strictObject({
  items: z.array(feedbackItemSchema).min(1).max(MAX_FEEDBACK_ITEMS),
});

/** Response of `POST /v1/feedback`. */
export const feedbackResponseSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  quarantined: z.number().int(),
});

/** A policy patch (`PUT /v1/policy`); the engine checks names and ranges strictly. */
export const policyPatchSchema = z.record(z.string().max(64), finiteSchema);

/** The policy in force (`GET /v1/policy`, `PUT /v1/policy`). */
export const policyResponseSchema = z.object({ policy: z.record(z.string(), z.number()) });

/** Body of `POST /v1/models/{name}/promote`. */
export const promoteRequestSchema = z.strictObject({ version: nameSchema, reason: z.string().max(500).optional() });

/** Body of `POST /v1/models/{name}/rollback` (may be empty). */
export const rollbackRequestSchema = z.strictObject({
  to: nameSchema.optional(),
  reason: z.string().max(500).optional(),
});

/** Response of promote and rollback. */
export const aliasChangeResponseSchema = z.object({ name: z.string(), champion: z.string(), previous: z.string() });

/** A registered version's manifest. */
export const manifestSchema = z.object({
  name: z.string(),
  version: z.string(),
  format: z.string(),
  sha256: z.string(),
  size: z.number(),
  inputWidth: z.number(),
  classes: z.number(),
  createdAt: z.string(),
  metrics: z.record(z.string(), z.number()),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  tags: z.record(z.string(), z.string()),
  lineage: z.object({
    parent: z.string().optional(),
    examples: z.number().optional(),
    dissonanceMean: z.number().optional(),
    traceId: z.string().optional(),
  }),
});

/** Response of `GET /v1/models/{name}`. */
export const modelResponseSchema = z.object({
  name: z.string(),
  champion: z.object({ version: z.string(), sha256: z.string(), manifest: manifestSchema, artifactUrl: z.string() }),
});

/** Response of `GET /v1/feedback/quarantine`. */
export const quarantineResponseSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      principal: z.string(),
      label: z.number(),
      features: z.array(z.number()),
      reason: z.string(),
      at: z.number(),
    }),
  ),
});

/** Every error body. */
export const errorResponseSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
