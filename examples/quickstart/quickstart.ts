/**
 * Quickstart: the whole loop on embedded defaults (memory registry, store and transport).
 * A weak proposer serves a stream; a stronger critic contradicts it; the oracle labels only dissonant items
 * within a budget; a tiny softmax-regression trainer retrains; candidates are validated on a golden holdout,
 * canaried and promoted. Self-contained: it imports only `@dissonance/core`.
 */
import {
  createEngine,
  FunctionModel,
  goldenAccuracy,
  modelKl,
  oracleLabels,
  type Candidate,
  type LoadedModel,
  type Trainer,
} from '@dissonance/core';

const WIDTH = 2;
const CLASSES = 3;
type Weights = { w: number[]; b: number[] };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three Gaussian blobs: the data set of this example. */
function blobs(seed: number, rows: number): { x: Float32Array; y: Int32Array } {
  const rand = rng(seed);
  const centers = [
    [0, 2],
    [2, -1],
    [-2, -1],
  ];
  const x = new Float32Array(rows * WIDTH);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(rand() * CLASSES);
    const g = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    y[r] = c;
    x[r * 2] = (centers[c]?.[0] ?? 0) + 0.9 * g();
    x[r * 2 + 1] = (centers[c]?.[1] ?? 0) + 0.9 * g();
  }
  return { x, y };
}

function predict({ w, b }: Weights, x: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * CLASSES);
  for (let r = 0; r < rows; r++) {
    const z = b.map((bc, c) => bc + (x[r * 2] ?? 0) * (w[c] ?? 0) + (x[r * 2 + 1] ?? 0) * (w[CLASSES + c] ?? 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    e.forEach((v, c) => (out[r * CLASSES + c] = v / s));
  }
  return out;
}

function model(name: string, weights: Weights): FunctionModel {
  return new FunctionModel({
    name,
    inputWidth: WIDTH,
    classes: CLASSES,
    run: (x, rows) => predict(weights, x, rows),
    artifact: { format: 'json', bytes: new TextEncoder().encode(JSON.stringify(weights)) },
  });
}

/** Softmax regression by gradient descent, warm-started from the champion's weights. */
const trainer: Trainer = {
  name: 'softmax-gd',
  async fit(base: LoadedModel, examples, constraints): Promise<Candidate> {
    const start = JSON.parse(new TextDecoder().decode(base.artifact?.bytes)) as Weights;
    const w = [...start.w];
    const b = [...start.b];
    const loss: number[] = [];
    for (let epoch = 0; epoch < 100; epoch++) {
      let total = 0;
      for (const ex of examples) {
        const p = predict({ w, b }, ex.x, 1);
        for (let c = 0; c < CLASSES; c++) {
          const target = ex.target.kind === 'hard' ? Number(ex.target.label === c) : (ex.target.probs[c] ?? 0);
          const g = (0.1 * ex.weight * ((p[c] ?? 0) - target)) / Math.sqrt(examples.length);
          b[c] = (b[c] ?? 0) - g;
          w[c] = (w[c] ?? 0) - g * (ex.x[0] ?? 0);
          w[CLASSES + c] = (w[CLASSES + c] ?? 0) - g * (ex.x[1] ?? 0);
          total -= target * Math.log(Math.max(p[c] ?? 0, 1e-9));
        }
      }
      loss.push(total / examples.length);
    }
    // KL guard: step back along the line from old to new weights until KL(old‖new) ≤ KL_eps.
    let step = 1;
    let candidate = model(base.name, { w, b });
    let kl = await modelKl(base, candidate, constraints.reference);
    while (kl > constraints.klEps && step > 1e-3) {
      step /= 2;
      const mix = (from: number[], to: number[]) => from.map((v, i) => v + step * ((to[i] ?? 0) - v));
      candidate = model(base.name, { w: mix(start.w, w), b: mix(start.b, b) });
      kl = await modelKl(base, candidate, constraints.reference);
    }
    return { model: candidate, artifact: candidate.artifact, report: { loss, epochs: 100, kl, extra: { step } } };
  },
};

async function main(): Promise<void> {
  const stream = blobs(1, 2000);
  const golden = blobs(2, 400);
  const proposer = model('blobs', { w: [0.2, -0.3, 0.1, 0.1, 0.2, -0.3], b: [0, 0, 0] });
  const critic = model('critic', { w: [0, 2, -2, 2, -1, -1], b: [0, 0, 0] });
  const truth = new Map<string, number>();

  const engine = createEngine({
    proposer,
    critics: [critic],
    labels: oracleLabels(async (requests) => requests.map((r) => truth.get(r.itemId)), { budget: 300 }),
    trainer,
    golden: { x: golden.x, rows: 400, labels: golden.y },
    // The hourly dissonance budget keeps its default (10⁶ items an hour): this stream arrives in a second.
    policy: { maxDissonance: 1, klEps: 0.5 },
    retrain: { everyExamples: 60, mode: 'inline' },
    rollout: { canaryFraction: 0.3, canarySamples: 60 },
  });
  engine.on('retrained', (e) =>
    console.log(`retrained  v${e.candidate.version} from v${e.parent}: ${e.decision} (${e.reason})`),
  );
  engine.on('promoted', (e) => console.log(`promoted   v${e.version} (was v${e.previous}): ${e.reason}`));
  engine.on('rolledBack', (e) => console.log(`rolledBack v${e.version} at ${e.stage}: ${e.reason}`));

  const goldenSet = { x: golden.x, rows: 400, labels: golden.y };
  console.log(`golden accuracy before: ${((await goldenAccuracy(proposer, goldenSet)) * 100).toFixed(1)}%`);
  for (let start = 0; start < 2000; start += 50) {
    const ids = Array.from({ length: 50 }, (_, i) => `item-${start + i}`);
    ids.forEach((id, i) => truth.set(id, stream.y[start + i] ?? 0));
    await engine.process({ x: stream.x.subarray(start * WIDTH, (start + 50) * WIDTH), rows: 50, ids });
  }
  const summary = await engine.stop();
  const champion = await engine.registry.resolve(engine.modelName, 'champion');
  console.log(
    `golden accuracy after:  ${((champion.metrics.golden_accuracy ?? 0) * 100).toFixed(1)}% (champion v${champion.version})`,
  );
  console.log(
    `items ${summary.accepted}: ${summary.examples} examples, ${summary.unlabelled} unlabelled, ` +
      `${summary.blocked} blocked, ${summary.deferred} deferred; ${summary.retrains} retrains, ` +
      `${summary.promotions} promotions, ${summary.rollbacks} rollbacks`,
  );
  if (summary.accepted !== summary.processed + summary.blocked + summary.deferred + summary.failed) {
    throw new Error('items were lost');
  }
  console.log('quickstart ok');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
