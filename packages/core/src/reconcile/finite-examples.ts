import type { TrainingExample } from '../ports/batch.js';
import type { LoadedModel } from '../ports/model.js';
import type { Trainer } from '../ports/trainer.js';
import { yieldToEventLoop } from '../util/yield-to-loop.js';

/** Rows of the replay buffer screened per step. */
const SCREEN_ROWS = 256;

/** A replay-buffer example kept out of a fit, and why. */
export interface NonFiniteExample {
  readonly example: TrainingExample;
  /** What was not finite: a feature, or a model's output on the features. */
  readonly reason: string;
}

/**
 * Splits `examples` into those a trainer can learn from and those it cannot: a NaN or ±Infinity feature, or
 * features on which one of `models` (the champion being fine-tuned, the critics) answers a non-finite value — one
 * such example (every feature 3.4e38 overflows a float32 layer) makes the built-in trainer refuse every fit, so
 * one poisoned feedback item would stop all future learning. Order is kept. Each model runs over the examples
 * whose width matches, 256 rows at a time with a yield between; examples of another width are left to the
 * trainer to refuse.
 */
export async function screenExamples(
  models: readonly LoadedModel[],
  examples: readonly TrainingExample[],
  inputWidth: number,
): Promise<{ kept: TrainingExample[]; quarantined: NonFiniteExample[] }> {
  const reasons = new Array<string | undefined>(examples.length);
  const rowOf = new Int32Array(examples.length).fill(-1);
  let rows = 0;
  examples.forEach((example, i) => {
    const x = example.x;
    if (x.length !== inputWidth) return;
    for (let j = 0; j < x.length; j++) {
      const v = x[j]!;
      if (v - v !== 0) {
        reasons[i] = `feature ${j} is ${v}`;
        return;
      }
    }
    rowOf[i] = rows++;
  });
  if (rows > 0) {
    const packed = new Float32Array(rows * inputWidth);
    examples.forEach((example, i) => {
      if (rowOf[i]! >= 0) packed.set(example.x, rowOf[i]! * inputWidth);
    });
    // In steps of SCREEN_ROWS rows with a macrotask between: this runs on the serving thread before every fit,
    // over the whole replay buffer, and must not hold the loop (or a page's main thread) for long.
    const exampleOf = new Int32Array(rows);
    examples.forEach((_, i) => {
      if (rowOf[i]! >= 0) exampleOf[rowOf[i]!] = i;
    });
    for (let start = 0; start < rows; start += SCREEN_ROWS) {
      if (start > 0) await yieldToEventLoop();
      const n = Math.min(SCREEN_ROWS, rows - start);
      const chunk = packed.subarray(start * inputWidth, (start + n) * inputWidth);
      const outputs = await Promise.all(models.map((m) => m.run(chunk, n)));
      for (let r = 0; r < n; r++) {
        const i = exampleOf[start + r]!;
        for (let m = 0; m < models.length && reasons[i] === undefined; m++) {
          const out = outputs[m]!;
          const k = out.length / n;
          let acc = 0;
          for (let c = r * k; c < (r + 1) * k; c++) acc += out[c]! * 0;
          if (acc !== 0)
            reasons[i] = `model ${models[m]!.name}@${models[m]!.version} answers a non-finite value on its features`;
        }
      }
    }
  }
  const kept: TrainingExample[] = [];
  const quarantined: NonFiniteExample[] = [];
  examples.forEach((example, i) => {
    const reason = reasons[i];
    if (reason === undefined) kept.push(example);
    else quarantined.push({ example, reason });
  });
  return { kept, quarantined };
}

/**
 * A trainer that fits `inner` on {@link screenExamples}' kept examples (the base model and the constraints'
 * critics screen them) and reports the others to `onQuarantined` (when there are any) instead of letting one
 * example fail every fit. The engine wraps its trainer in this.
 */
export function finiteExamplesTrainer(
  inner: Trainer,
  onQuarantined: (examples: readonly NonFiniteExample[]) => void,
): Trainer {
  return {
    name: inner.name,
    async fit(base, examples, constraints) {
      const { kept, quarantined } = await screenExamples([base, ...constraints.critics], examples, base.inputWidth);
      if (quarantined.length > 0) onQuarantined(quarantined);
      return inner.fit(base, kept, constraints);
    },
  };
}
