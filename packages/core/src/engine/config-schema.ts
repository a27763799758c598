import { z } from 'zod';
import { DissonanceError } from '../errors.js';
import { policySchema } from '../schema/policy.js';
import type { EngineConfig } from './config.js';

const hasFunction = (name: string) => (value: unknown) =>
  typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function';

const model = z.custom<unknown>(hasFunction('run'), { message: 'expected a LoadedModel (an object with run())' });
const positiveInt = z.number().int().positive();

const retrainSchema = z
  .object({
    everyExamples: z.number().int().min(0).optional(),
    everyMs: positiveInt.optional(),
    minExamples: positiveInt.optional(),
    maxExamples: positiveInt.optional(),
    mode: z.enum(['background', 'inline']).optional(),
    seed: z.number().int().optional(),
    registryRetryMs: positiveInt.optional(),
    minIntervalMs: z.number().int().min(0).optional(),
  })
  .strict();

const rolloutSchema = z
  .object({
    canaryFraction: z.number().min(0).max(1).optional(),
    canarySamples: positiveInt.optional(),
    canaryMinLabelled: positiveInt.optional(),
    dissonanceTolerance: z.number().finite().min(0).optional(),
  })
  .strict();

/** Structural check of an {@link EngineConfig}: unknown keys anywhere are errors. */
export const engineConfigSchema = z
  .object({
    modelName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, dot, underscore and dash, at most 128')
      .optional(),
    proposer: model,
    critics: z
      .array(model, {
        error: (issue) =>
          issue.input === undefined ? 'missing: at least one critic is needed to measure dissonance' : undefined,
      })
      .min(1, 'at least one critic is needed to measure dissonance'),
    detector: z
      .union([z.string(), z.custom<unknown>(hasFunction('measure'), { message: 'expected a detector' })])
      .optional(),
    labels: z
      .union([z.custom<unknown>(hasFunction('label')), z.array(z.custom<unknown>(hasFunction('label')))])
      .optional(),
    trainer: z.custom<unknown>(hasFunction('fit'), { message: 'expected a Trainer (fit())' }).optional(),
    runtime: z.custom<unknown>(hasFunction('load'), { message: 'expected a ModelRuntime (load())' }).optional(),
    registry: z.custom<unknown>(hasFunction('register'), { message: 'expected a ModelRegistry' }).optional(),
    store: z.custom<unknown>(hasFunction('appendExamples'), { message: 'expected a Store' }).optional(),
    golden: z
      .custom<unknown>((v) => typeof v === 'object' && v !== null, { message: 'expected a GoldenSet' })
      .optional(),
    gates: z
      .array(z.union([z.string(), z.custom<unknown>(hasFunction('check'), { message: 'expected a Gate (check())' })]))
      .optional(),
    reference: z
      .object({ x: z.instanceof(Float32Array), rows: z.number().int().min(0) })
      .strict()
      .optional(),
    policy: policySchema.partial().strict().optional(),
    retrain: retrainSchema.optional(),
    rollout: rolloutSchema.optional(),
    maxBatchRows: positiveInt.optional(),
    concurrency: positiveInt.optional(),
    maxQueue: positiveInt.optional(),
    overload: z.enum(['wait', 'reject']).optional(),
    championRefreshMs: positiveInt.optional(),
    trust: z
      .custom<unknown>((v) => typeof v === 'object' && v !== null, { message: 'expected a TrustPolicy' })
      .optional(),
    signing: z
      .custom<unknown>((v) => typeof v === 'object' && v !== null, { message: 'expected a SigningConfig' })
      .optional(),
    clock: z.custom<unknown>(hasFunction('now'), { message: 'expected a Clock' }).optional(),
    tracer: z
      .custom<unknown>(hasFunction('startActiveSpan'), { message: 'expected an OpenTelemetry Tracer' })
      .optional(),
    meter: z.custom<unknown>(hasFunction('createHistogram'), { message: 'expected an OpenTelemetry Meter' }).optional(),
    logger: z
      .custom<unknown>(hasFunction('error'), { message: 'expected a Logger (debug, info, warn, error)' })
      .optional(),
  })
  .strict();

/** Formats zod issues as one line per problem: `path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length === 0 ? '(root)' : issue.path.join('.');
      if (issue.code === 'unrecognized_keys')
        return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates an engine config; throws `E_CONFIG` naming every problem. */
export function validateEngineConfig(config: EngineConfig): void {
  const result = engineConfigSchema.safeParse(config);
  if (!result.success) {
    throw new DissonanceError('E_CONFIG', `invalid engine config: ${describeIssues(result.error)}`);
  }
  const { proposer, critics, golden } = config;
  for (const critic of critics) {
    if (critic.inputWidth !== proposer.inputWidth || critic.classes !== proposer.classes) {
      throw new DissonanceError(
        'E_CONFIG',
        `critic ${critic.name} is ${critic.inputWidth}→${critic.classes} but the proposer is ` +
          `${proposer.inputWidth}→${proposer.classes}; all models must share input width and classes`,
      );
    }
  }
  if (golden !== undefined) {
    if (!(golden.x instanceof Float32Array) || golden.x.length !== golden.rows * proposer.inputWidth) {
      throw new DissonanceError('E_CONFIG', `golden set: x must be a Float32Array of rows × ${proposer.inputWidth}`);
    }
    if (golden.labels.length !== golden.rows) {
      throw new DissonanceError('E_CONFIG', `golden set: ${golden.labels.length} labels for ${golden.rows} rows`);
    }
    for (let r = 0; r < golden.rows; r++) {
      const label = golden.labels[r]!;
      if (!Number.isInteger(label) || label < 0 || label >= proposer.classes) {
        throw new DissonanceError(
          'E_CONFIG',
          `golden set: label of row ${r} is ${label}, expected a class in 0…${proposer.classes - 1}`,
        );
      }
    }
  }
}
