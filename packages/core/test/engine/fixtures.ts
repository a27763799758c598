import {
  FunctionModel,
  type Candidate,
  type LoadedModel,
  type Trainer,
  type TrainingExample,
} from '../../src/index.js';

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three Gaussian blobs in 2-D: rows × 2 features and a label per row. */
export function blobs(seed: number, rows: number): { x: Float32Array; labels: Int32Array } {
  const rand = prng(seed);
  const centers = [
    [0, 2],
    [2, -1],
    [-2, -1],
  ];
  const x = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(rand() * 3);
    const g = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    labels[r] = c;
    x[r * 2] = (centers[c]?.[0] ?? 0) + 0.8 * g();
    x[r * 2 + 1] = (centers[c]?.[1] ?? 0) + 0.8 * g();
  }
  return { x, labels };
}

/** Weights of a linear softmax model: w is width × classes row-major, b is classes. */
export interface LinearWeights {
  readonly w: number[];
  readonly b: number[];
}

const WIDTH = 2;
const CLASSES = 3;

function softmaxRun(weights: LinearWeights, x: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * CLASSES);
  for (let r = 0; r < rows; r++) {
    const z = [0, 0, 0];
    for (let c = 0; c < CLASSES; c++) {
      let s = weights.b[c] ?? 0;
      for (let j = 0; j < WIDTH; j++) s += (x[r * WIDTH + j] ?? 0) * (weights.w[j * CLASSES + c] ?? 0);
      z[c] = s;
    }
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, v) => a + v, 0);
    for (let c = 0; c < CLASSES; c++) out[r * CLASSES + c] = (e[c] ?? 0) / sum;
  }
  return out;
}

/** A linear softmax model whose artifact is its weights as JSON. */
export function linearModel(name: string, weights: LinearWeights, version = '0'): FunctionModel {
  return new FunctionModel({
    name,
    version,
    inputWidth: WIDTH,
    classes: CLASSES,
    run: (x, rows) => softmaxRun(weights, x, rows),
    artifact: { format: 'linear-json', bytes: new TextEncoder().encode(JSON.stringify(weights)) },
  });
}

/** Reads the weights back out of a linear model's artifact. */
export function weightsOf(model: LoadedModel): LinearWeights {
  if (model.artifact?.format !== 'linear-json') throw new Error('not a linear model');
  return JSON.parse(new TextDecoder().decode(model.artifact.bytes)) as LinearWeights;
}

/** Roughly right weights: each class's center direction. */
export const GOOD_WEIGHTS: LinearWeights = { w: [0, 2, -2, 2, -1, -1], b: [0, 0, 0] };
/** Poor weights (about 16% golden accuracy on three classes). */
export const WEAK_WEIGHTS: LinearWeights = { w: [0.2, -0.3, 0.1, 0.1, 0.2, -0.3], b: [0, 0, 0] };

/** Gradient-descent softmax regression, warm-started from the base model's weights. */
export function linearTrainer(options: { epochs?: number; lr?: number } = {}): Trainer {
  const epochs = options.epochs ?? 200;
  const lr = options.lr ?? 0.5;
  return {
    name: 'linear-gd',
    async fit(base, examples: readonly TrainingExample[]): Promise<Candidate> {
      const { w, b } = weightsOf(base);
      const W = [...w];
      const B = [...b];
      const loss: number[] = [];
      for (let e = 0; e < epochs; e++) {
        const gw = new Array<number>(W.length).fill(0);
        const gb = new Array<number>(B.length).fill(0);
        let total = 0;
        let weightSum = 0;
        for (const ex of examples) {
          const p = softmaxRun({ w: W, b: B }, ex.x, 1);
          for (let c = 0; c < CLASSES; c++) {
            const y = ex.target.kind === 'hard' ? (ex.target.label === c ? 1 : 0) : (ex.target.probs[c] ?? 0);
            const g = ((p[c] ?? 0) - y) * ex.weight;
            gb[c] = (gb[c] ?? 0) + g;
            for (let j = 0; j < WIDTH; j++) gw[j * CLASSES + c] = (gw[j * CLASSES + c] ?? 0) + g * (ex.x[j] ?? 0);
            if (y > 0) total -= ex.weight * y * Math.log(Math.max(p[c] ?? 0, 1e-12));
          }
          weightSum += ex.weight;
        }
        for (let i = 0; i < W.length; i++) W[i] = (W[i] ?? 0) - (lr * (gw[i] ?? 0)) / Math.max(weightSum, 1);
        for (let i = 0; i < B.length; i++) B[i] = (B[i] ?? 0) - (lr * (gb[i] ?? 0)) / Math.max(weightSum, 1);
        loss.push(total / Math.max(weightSum, 1));
      }
      const model = linearModel(base.name, { w: W, b: B }, 'candidate');
      return { model, artifact: model.artifact, report: { loss, epochs } };
    },
  };
}

/** A trainer that returns a deliberately broken model (classes rotated), for rollback tests. */
export function sabotageTrainer(): Trainer {
  return {
    name: 'sabotage',
    async fit(base): Promise<Candidate> {
      const { w, b } = weightsOf(base);
      // Rotate class columns: predicts class c+1 where the base predicts c.
      const W = w.map((_, i) => w[Math.floor(i / CLASSES) * CLASSES + (((i % CLASSES) + 2) % CLASSES)] ?? 0);
      const model = linearModel(base.name, { w: W, b }, 'candidate');
      return { model, artifact: model.artifact, report: { loss: [1] } };
    },
  };
}

/** Splits rows × width into batches of `size`. */
export function* batches(
  x: Float32Array,
  rows: number,
  size: number,
  width = WIDTH,
  idPrefix = 'item',
): Generator<{ x: Float32Array; rows: number; ids: string[] }> {
  for (let start = 0; start < rows; start += size) {
    const n = Math.min(size, rows - start);
    yield {
      x: x.slice(start * width, (start + n) * width),
      rows: n,
      ids: Array.from({ length: n }, (_, i) => `${idPrefix}-${start + i}`),
    };
  }
}

/** A two-class model that answers 0.5 for every class after `delayMs` (for queue and backpressure tests). */
export function slowModel(delayMs: number, inputWidth = 1): FunctionModel {
  return new FunctionModel({
    name: 'slow',
    inputWidth,
    classes: 2,
    run: async (_x, rows) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return new Float32Array(rows * 2).fill(0.5);
    },
  });
}
