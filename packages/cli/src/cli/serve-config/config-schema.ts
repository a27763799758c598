import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { COMMITTEE_DETECTOR_NAMES, DETECTOR_NAMES, policySchema } from '@dissonance/core';
import { z } from 'zod';

/** Default port, host and feedback items between retrains, the same as the flag-driven `dissonance serve`. */
export const SERVE_CONFIG_DEFAULTS = { port: 8080, host: '127.0.0.1', retrainEvery: 32 } as const;

const REGISTRY_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The schema of `dissonance.config.json` (docs/serve-config.md). Relative paths are resolved against
 * `baseDir` (the config file's directory); paths of files to read must name existing files.
 */
export function serveConfigSchema(baseDir: string) {
  const resolved = z
    .string()
    .min(1, 'must be a non-empty path')
    .transform((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
  const file = resolved.refine(
    (p) => existsSync(p) && statSync(p).isFile(),
    'file not found (relative paths start at the config file)',
  );
  const url = z.string().refine((v) => isHttpUrl(v), 'must be an http(s) URL');
  const name = z.string().regex(REGISTRY_NAME, 'must be 1–200 letters, digits, ".", "_" or "-"');
  const csv = z.strictObject({
    /** CSV file with a header row, numeric columns. */
    csv: file,
    /** Label column (default `label`). */
    label: z.string().min(1).default('label'),
  });
  const strings = z.array(z.string().min(1));

  const registry = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('file'), root: resolved.optional() }),
    z.strictObject({ kind: z.literal('mlflow'), uri: url, experiment: z.string().min(1).default('dissonance') }),
    z.strictObject({
      kind: z.literal('s3'),
      bucket: z.string().min(1),
      prefix: z.string().optional(),
      endpoint: url.optional(),
      region: z.string().min(1).optional(),
      forcePathStyle: z.boolean().optional(),
      sse: z.enum(['AES256', 'aws:kms']).optional(),
      kmsKeyId: z.string().min(1).optional(),
      maxArtifactBytes: z.int().positive().optional(),
    }),
  ]);

  const model = z.strictObject({
    /** Registered name of the proposer. */
    name,
    /** First champion from an ONNX file, used when the registry has none. */
    onnx: file.optional(),
    /** First champion (and a `seed` critic) trained on a labelled CSV, the way the demo does. */
    seed: z
      .strictObject({
        csv: file,
        label: z.string().min(1).default('label'),
        seed: z.int().min(0).default(1),
        golden: z.number().gt(0).lt(1).default(0.2),
        seedSet: z.number().gt(0).lt(1).default(0.3),
      })
      .optional(),
  });

  const critic = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('onnx'), path: file, name: name.optional() }),
    z.strictObject({ kind: z.literal('seed') }),
    z.strictObject({ kind: z.literal('registry'), name, alias: z.string().min(1).default('champion') }),
  ]);

  const labelSource = z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('agreement'),
      minConfidence: z.number().min(0).max(1).optional(),
      weight: z.number().positive().optional(),
    }),
    z.strictObject({
      kind: z.literal('critic-trust'),
      minConfidence: z.number().min(0).max(1).optional(),
      weight: z.number().positive().optional(),
    }),
  ]);

  const mlpTrainer = {
    hidden: z.array(z.int().positive()).default([64]),
    epochs: z.int().positive().default(10),
    batchSize: z.int().positive().default(32),
    learningRate: z.number().positive().default(1e-3),
    l2: z.number().min(0).optional(),
    warmStart: z.boolean().default(true),
    refitBelow: z.int().min(0).optional(),
    minSteps: z.int().min(0).optional(),
    maxSeconds: z.number().positive().optional(),
  };
  const trainer = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('threaded'), ...mlpTrainer }),
    z.strictObject({ kind: z.literal('in-thread'), ...mlpTrainer }),
    z.strictObject({ kind: z.literal('none') }),
    z
      .strictObject({
        kind: z.literal('external'),
        /** The Python worker (`dissonance-trainer --http PORT`): jobs go to `POST {url}/jobs`. */
        http: z.strictObject({ url, headers: z.record(z.string(), z.string()).optional() }).optional(),
        /**
         * Jobs over a broker (`dissonance-trainer --broker URL` workers): RabbitMQ, NATS JetStream or Redis Streams,
         * the transports' default `dissonance` prefix; topics default to `train.jobs` / `train.results`.
         */
        broker: z
          .strictObject({
            url: z.string().regex(/^(amqps?|nats|rediss?):\/\//, 'must be an amqp://, nats:// or redis:// URL'),
            jobsTopic: z.string().min(1).optional(),
            resultsTopic: z.string().min(1).optional(),
          })
          .optional(),
        timeoutMs: z.int().positive().optional(),
        retries: z.int().min(0).optional(),
        retryDelayMs: z.int().min(0).optional(),
        /** Jobs over `overBytes` (and uploaded candidates) go through an S3 bucket. */
        snapshots: z
          .strictObject({
            s3: z.strictObject({
              bucket: z.string().min(1),
              endpoint: url.optional(),
              region: z.string().min(1).optional(),
              forcePathStyle: z.boolean().optional(),
              sse: z.enum(['AES256', 'aws:kms']).optional(),
            }),
            overBytes: z.int().min(0).optional(),
            prefix: z.string().optional(),
          })
          .optional(),
      })
      .superRefine((spec, ctx) => {
        if (spec.broker !== undefined && spec.http !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['broker'], message: 'give either "http" or "broker", not both' });
        } else if (spec.broker === undefined && spec.http === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['http'],
            message: 'is required unless "broker" is given: the worker\'s { "url": … }',
          });
        }
      }),
  ]);

  const auth = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('jwks'), url, issuer: z.string().min(1), audience: z.string().min(1) }),
    z.strictObject({
      kind: z.literal('public-key'),
      path: file,
      issuer: z.string().min(1),
      audience: z.string().min(1),
    }),
    z.strictObject({ kind: z.literal('dev-token'), file: resolved }),
  ]);

  const telemetry = z.strictObject({
    serviceName: z.string().min(1).optional(),
    otlpEndpoint: z.union([url, z.literal(false)]).optional(),
    otlpHeaders: z.record(z.string(), z.string()).optional(),
    metricExportIntervalMs: z.int().positive().optional(),
    prometheus: z
      .union([
        z.strictObject({
          port: z.int().min(0).max(65_535).optional(),
          host: z.string().min(1).optional(),
          endpoint: z.string().startsWith('/').optional(),
        }),
        z.literal(false),
      ])
      .optional(),
  });

  return z
    .strictObject({
      /** Ignored: lets editors find a JSON schema. */
      $schema: z.string().optional(),
      server: z
        .strictObject({
          port: z.int().min(0).max(65_535).default(SERVE_CONFIG_DEFAULTS.port),
          host: z.string().min(1).default(SERVE_CONFIG_DEFAULTS.host),
          cors: z.array(url).default([]),
          tls: z
            .strictObject({
              cert: file,
              key: file,
              ca: z.array(file).optional(),
              requireClientCert: z.boolean().default(false),
            })
            .optional(),
          runtime: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'),
          /** onnxruntime intra-op threads per session: a count, or `auto` (per model, by measurement). */
          threads: z.union([z.literal('auto'), z.int().min(1)]).optional(),
        })
        .prefault({}),
      /** Directory of the store (and of the default file registry); default: a new temporary directory. */
      state: z.strictObject({ dir: resolved.optional() }).prefault({}),
      model,
      registry: registry.prefault({ kind: 'file' }),
      critics: z.array(critic).min(1, 'needs at least one critic'),
      detector: z.enum([...DETECTOR_NAMES, ...COMMITTEE_DETECTOR_NAMES]).default('total-variation'),
      policy: policySchema.partial().optional(),
      golden: csv.optional(),
      labels: z
        .strictObject({
          feedback: z
            .strictObject({
              retrainEvery: z.int().min(0).default(SERVE_CONFIG_DEFAULTS.retrainEvery),
              trusted: strings.default([]),
              guard: z.boolean().default(true),
            })
            .prefault({}),
          sources: z.array(labelSource).default([]),
        })
        .prefault({}),
      trainer: trainer.prefault({ kind: 'threaded' }),
      retrain: z
        .strictObject({
          minExamples: z.int().min(1).default(1),
          maxExamples: z.int().positive().optional(),
          minIntervalMs: z.int().min(0).optional(),
          seed: z.int().min(0).default(1),
        })
        .prefault({}),
      rollout: z
        .strictObject({
          canaryFraction: z.number().min(0).max(1).default(0),
          canarySamples: z.int().positive().optional(),
          canaryMinLabelled: z.int().positive().optional(),
          dissonanceTolerance: z.number().min(0).optional(),
        })
        .prefault({}),
      auth,
      security: z
        .strictObject({
          trustedKeys: z.array(file).default([]),
          signingKey: file.optional(),
          requireSignatures: z.boolean().optional(),
          encryptionKeys: z.string().min(1).optional(),
        })
        .prefault({}),
      telemetry: z.union([telemetry, z.literal(false)]).default(false),
    })
    .superRefine((config, ctx) => {
      if (config.model.onnx !== undefined && config.model.seed !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['model'], message: 'give "onnx" or "seed", not both' });
      }
      config.critics.forEach((critic, i) => {
        if (critic.kind === 'seed' && config.model.seed === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['critics', i, 'kind'],
            message: '"seed" critics need model.seed (the CSV they are trained on)',
          });
        }
      });
      if (config.trainer.kind !== 'none' && config.golden === undefined && config.model.seed === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['golden'],
          message: `trainer "${config.trainer.kind}" needs a golden set to validate candidates (golden.csv, or model.seed), or use trainer "none"`,
        });
      }
      if (config.model.seed !== undefined && config.model.seed.golden + config.model.seed.seedSet >= 1) {
        ctx.addIssue({ code: 'custom', path: ['model', 'seed'], message: 'golden + seedSet must be below 1' });
      }
    });
}

/** A validated serve config: every default filled in, every path absolute. */
export type ServeConfig = z.output<ReturnType<typeof serveConfigSchema>>;

/** What a config file holds before validation (defaults optional). */
export type ServeConfigInput = z.input<ReturnType<typeof serveConfigSchema>>;

function isHttpUrl(value: string): boolean {
  try {
    const protocol = new URL(value).protocol;
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
