import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEngine, FunctionModel, oracleLabels, type LabelRequest, type Trainer } from '../../src/index.js';
import { createMlpTrainer, createPrng, fitMlp, initMlp, mlpForward, MlpModel } from '../../src/mlp.js';

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));
const WIDTH = 8;

/** The README's "Embedding it" snippet: the setup, and the last two lines (one batch, then stop). */
function snippet(): { setup: string; finish: string } {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('```ts', text.indexOf('## Embedding it'));
  const code = text.slice(start + 5, text.indexOf('```', start + 5));
  const body = code.replace(/^import .*$/m, '');
  const cut = body.indexOf('const { probabilities');
  return { setup: body.slice(0, cut), finish: body.slice(cut) };
}

/** Two classes with a curved boundary in 8 dimensions. */
function data(seed: number, rows: number): { x: Float32Array; y: Int32Array } {
  const prng = createPrng(seed);
  const x = new Float32Array(rows * WIDTH);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < WIDTH; c++) x[r * WIDTH + c] = prng.normal();
    const v = x.subarray(r * WIDTH, (r + 1) * WIDTH);
    y[r] = v[0]! + 0.8 * v[1]! - 0.6 * v[2]! + 0.7 * v[3]! * v[4]! + 0.3 * v[5]! > 0 ? 1 : 0;
  }
  return { x, y };
}

function trainingData(x: Float32Array, y: Int32Array) {
  const targets = new Float64Array(y.length * 2);
  y.forEach((label, r) => (targets[r * 2 + label] = 1));
  return {
    rows: y.length,
    inputWidth: WIDTH,
    classes: 2,
    x,
    targets,
    weights: new Float64Array(y.length).fill(1),
    critics: [],
  };
}

describe("the README's embedding snippet, run literally on a 3,000-item stream", () => {
  it('retrains and promotes; nothing deferred or quarantined unlabelled; the label budget paced', async () => {
    // The user's side: a weak first model (40 labelled rows), a rules critic, reviewers who know the truth.
    const seedSet = data(1, 40);
    const weights = fitMlp(
      initMlp({ inputWidth: WIDTH, hidden: [16], classes: 2, seed: 3 }),
      trainingData(seedSet.x, seedSet.y),
      {
        epochs: 60,
        batchSize: 8,
        learningRate: 5e-3,
        l2: 1e-4,
        seed: 4,
      },
    ).weights;
    const rulesWeights = fitMlp(
      initMlp({ inputWidth: WIDTH, hidden: [], classes: 2, seed: 5 }),
      trainingData(seedSet.x, seedSet.y),
      {
        epochs: 40,
        batchSize: 8,
        learningRate: 1e-2,
        l2: 1e-3,
        seed: 6,
      },
    ).weights;
    const stream = data(2, 3008);
    const golden = data(3, 600);
    const truth = new Map<string, number>();
    const mlp = createMlpTrainer({ hidden: [16], epochs: 20, learningRate: 5e-3 });
    // myTrainer knows the first model's weights (a FunctionModel carries none), then warm-starts from each champion.
    const myTrainer: Trainer = {
      name: 'my-trainer',
      fit: (base, examples, constraints) =>
        mlp.fit(
          base instanceof MlpModel ? base : new MlpModel(weights, { name: base.name, version: base.version }),
          examples,
          constraints,
        ),
    };
    const reviewed: string[] = [];
    const warnings: string[] = [];
    const logged: string[] = [];
    const savings: (number | undefined)[] = [];
    const bindings = {
      createEngine,
      FunctionModel,
      oracleLabels,
      myModel: (x: Float32Array, rows: number) => mlpForward(weights, x, rows),
      rules: (x: Float32Array, rows: number) => mlpForward(rulesWeights, x, rows),
      askReviewers: (items: readonly LabelRequest[]) =>
        Promise.resolve(items.map((item) => (reviewed.push(item.itemId), truth.get(item.itemId)))),
      myTrainer,
      goldenX: golden.x,
      goldenRows: 600,
      goldenLabels: golden.y,
      metrics: { observe: () => undefined, savings: (v: number | undefined) => savings.push(v) },
      log: { info: (m: string) => logged.push(m), warn: (m: string) => (warnings.push(m), logged.push(m)) },
    };
    const { setup, finish } = snippet();
    const names = Object.keys(bindings);
    // Runs the README's code as written.
    const makeEngine = new Function(...names, `return (async () => {${setup}\nreturn engine;})();`) as (
      ...args: unknown[]
    ) => Promise<ReturnType<typeof createEngine>>;
    const engine = await makeEngine(...Object.values(bindings));
    const events = { retrained: 0, promoted: 0, quarantinedLabelled: 0 };
    engine.on('retrained', () => events.retrained++);
    engine.on('promoted', () => events.promoted++);
    engine.on(
      'example',
      (e) => (events.quarantinedLabelled += e.examples.filter((x) => x.provenance.dissonance > 0.5).length),
    );

    const batch = (b: number) => {
      const ids = Array.from({ length: 32 }, (_, i) => `item-${b * 32 + i}`);
      ids.forEach((id, i) => truth.set(id, stream.y[b * 32 + i]!));
      return { x: stream.x.subarray(b * 32 * WIDTH, (b + 1) * 32 * WIDTH), ids };
    };
    const batches = 3008 / 32;
    for (let b = 0; b < batches - 1; b++) {
      const { x, ids } = batch(b);
      await engine.process({ x, rows: 32, ids });
      // Retrains land at the same points of the stream however loaded the machine is (the test's own pacing;
      // the README's code is what runs inside the engine).
      await engine.drained();
    }
    const last = batch(batches - 1);
    // The README's last two lines.
    const finishRun = new Function(
      'engine',
      'features',
      'ids',
      `return (async () => {${finish}\nreturn summary;})();`,
    ) as (...args: unknown[]) => Promise<Awaited<ReturnType<typeof engine.stop>>>;
    const summary = await finishRun(engine, last.x, last.ids);

    expect(summary.accepted).toBe(3008);
    expect(summary.deferred).toBe(0);
    expect(events.retrained).toBeGreaterThanOrEqual(1);
    expect(events.promoted).toBeGreaterThanOrEqual(1);
    expect(engine.championVersion).not.toBe('1');
    expect(engine.challengerVersion).toBeUndefined(); // stop() settled the last canary
    // Paced: about a tenth of the stream, not the whole budget on the first batches.
    expect(reviewed.length).toBeGreaterThan(250);
    expect(reviewed.length).toBeLessThanOrEqual(310);
    expect(reviewed.some((id) => Number(id.split('-')[1]) > 2500)).toBe(true);
    expect(events.quarantinedLabelled).toBeGreaterThan(0);
    expect(warnings.filter((w) => /deferred|quarantined/.test(w))).toEqual([]);
    expect(savings.length).toBeGreaterThan(0);
    expect(logged.some((m) => m.startsWith('champion is now'))).toBe(true);
  });
});
