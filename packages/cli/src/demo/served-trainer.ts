import type { Candidate, ModelRuntime, TrainingExample, Trainer } from '@dissonance/core';

/** Options of {@link servedTrainer}. */
export interface ServedTrainerOptions {
  /** The trainer that fits candidates (the built-in MLP trainer). */
  readonly inner: Trainer;
  /** Loads every candidate's ONNX artifact, so candidates are served exactly as they will be in production. */
  readonly runtime: ModelRuntime;
  /**
   * Fit number (1-based) whose examples get flipped labels (`(label + 1) mod classes`) and whose KL guard is
   * off: a deliberately broken candidate the validator must reject. Default: none.
   */
  readonly regressionAt?: number;
}

/**
 * Wraps a trainer so that its candidates run in `runtime` (onnxruntime-node) rather than in TypeScript, and
 * optionally injects one regression (see {@link ServedTrainerOptions.regressionAt}).
 */
export function servedTrainer(options: ServedTrainerOptions): Trainer & { readonly fits: number } {
  let fits = 0;
  return {
    name: options.inner.name,
    get fits() {
      return fits;
    },
    async fit(base, examples, constraints): Promise<Candidate> {
      fits++;
      const broken = fits === options.regressionAt;
      const candidate = broken
        ? await options.inner.fit(
            base,
            examples.map((e) => flipped(e, base.classes)),
            { ...constraints, klEps: Number.MAX_VALUE },
          )
        : await options.inner.fit(base, examples, constraints);
      const model = await options.runtime.load(candidate.artifact, {
        name: candidate.model.name,
        version: candidate.model.version,
        inputWidth: candidate.model.inputWidth,
        classes: candidate.model.classes,
      });
      await candidate.model.dispose?.();
      const params = broken ? { ...candidate.report.params, injected: 'flipped-labels' } : candidate.report.params;
      return {
        model,
        artifact: candidate.artifact,
        report: { ...candidate.report, ...(params === undefined ? {} : { params }) },
      };
    },
  };
}

function flipped(example: TrainingExample, classes: number): TrainingExample {
  if (example.target.kind !== 'hard') return example;
  return { ...example, target: { kind: 'hard', label: (example.target.label + 1) % classes } };
}
