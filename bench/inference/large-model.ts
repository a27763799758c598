import { writeOnnxMlp } from '../../packages/core/src/onnx/index.js';
import { initMlp } from '../../packages/core/src/train/mlp-init.js';
import { createPrng } from '../../packages/core/src/train/prng.js';

/** One model of the provider table: `widths` = input, hidden…, classes. */
export interface TableModel {
  /** `small` or `large`. */
  readonly name: TableModelName;
  readonly widths: readonly number[];
}

/** The two models of issue 18's table. */
export type TableModelName = 'small' | 'large';

/** The models: a 64-128-10 MLP (the bench's proposer shape) and a 512-4096-4096-1000 MLP (~23 M weights). */
export const TABLE_MODELS: Readonly<Record<TableModelName, TableModel>> = {
  small: { name: 'small', widths: [64, 128, 10] },
  large: { name: 'large', widths: [512, 4096, 4096, 1000] },
};

/** `64-128-10`. */
export function shapeOf(model: TableModel): string {
  return model.widths.join('-');
}

/** ONNX bytes of a seeded MLP of `model`'s widths (random weights and biases), written by `writeOnnxMlp`. */
export function tableModelBytes(model: TableModel, seed = 1): Uint8Array {
  const widths = model.widths;
  const weights = initMlp({
    inputWidth: widths[0]!,
    hidden: widths.slice(1, -1),
    classes: widths[widths.length - 1]!,
    seed,
  });
  const prng = createPrng(seed + 1000);
  for (const layer of weights.layers) for (let i = 0; i < layer.bias.length; i++) layer.bias[i] = 0.1 * prng.normal();
  return writeOnnxMlp(weights, { metadata: { purpose: 'bench-providers', shape: shapeOf(model), seed: String(seed) } });
}

/** `rows × width` seeded normal features. */
export function tableRows(rows: number, width: number, seed: number): Float32Array {
  const prng = createPrng(seed);
  return Float32Array.from({ length: rows * width }, () => prng.normal());
}
