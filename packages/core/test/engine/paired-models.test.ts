import { describe, expect, it } from 'vitest';
import {
  createEngine,
  DissonanceError,
  MemoryRegistry,
  type Engine,
  type LoadedModel,
  type Logger,
  type ModelArtifact,
  type ModelInfo,
  type ModelRuntime,
  type PairedModels,
} from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, WEAK_WEIGHTS, type LinearWeights } from './fixtures.js';

/** What the pairing models and their pairs did. */
interface Ledger {
  asked: string[];
  pairRuns: number;
  apartRuns: number;
  criticRuns: number;
  disposedPairs: string[];
  /** Set to make the next pair run throw. */
  failNext: boolean;
}

/** A linear model that pairs with any model: the pair runs both and counts itself. */
function pairing(model: LoadedModel, ledger: Ledger, refuse = false): LoadedModel {
  const label = `${model.name}@${model.version}`;
  return {
    name: model.name,
    version: model.version,
    inputWidth: model.inputWidth,
    classes: model.classes,
    artifact: model.artifact,
    async run(x, rows) {
      ledger.apartRuns++;
      return model.run(x, rows);
    },
    // Not async: a refusal thrown synchronously must be taken like a rejection.
    pairWith(other): Promise<PairedModels | undefined> {
      ledger.asked.push(label);
      if (refuse) throw new DissonanceError('E_MODEL', 'cannot pair these ONNX models: test refusal');
      return Promise.resolve({
        async run(x, rows) {
          ledger.pairRuns++;
          if (ledger.failNext) {
            ledger.failNext = false;
            throw new Error('the pair broke');
          }
          // The critic counts its own runs: call the wrapped models, not the counting wrappers.
          return [await model.run(x, rows), await (other as CountingCritic).inner.run(x, rows)];
        },
        async dispose() {
          ledger.disposedPairs.push(label);
        },
      });
    },
  };
}

type CountingCritic = LoadedModel & { readonly inner: LoadedModel };

function countingCritic(ledger: Ledger): CountingCritic {
  const inner = linearModel('q', GOOD_WEIGHTS);
  return {
    name: inner.name,
    version: inner.version,
    inputWidth: inner.inputWidth,
    classes: inner.classes,
    inner,
    async run(x, rows) {
      ledger.criticRuns++;
      return inner.run(x, rows);
    },
  };
}

function pairingRuntime(ledger: Ledger): ModelRuntime {
  return {
    name: 'linear-json',
    supports: (format) => format === 'linear-json',
    async load(artifact: ModelArtifact, info: ModelInfo): Promise<LoadedModel> {
      const weights = JSON.parse(new TextDecoder().decode(artifact.bytes)) as LinearWeights;
      return pairing(linearModel(info.name, weights, info.version), ledger);
    },
  };
}

const newLedger = (): Ledger => ({
  asked: [],
  pairRuns: 0,
  apartRuns: 0,
  criticRuns: 0,
  disposedPairs: [],
  failNext: false,
});
const batch = (i: number) => ({ x: Float32Array.of(i % 3, -(i % 2), 1, i % 5), rows: 2 });
/** Lets the pair the first batch asked for resolve. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (fields: object, message?: string) => lines.push(`${message ?? ''} ${JSON.stringify(fields)}`);
  return { logger: { debug: log, info: log, warn: log, error: log }, lines };
}

/** A ready engine whose proposer pairs (or refuses to), with `critics` counting critics, all on `ledger`. */
async function pairingEngine(
  ledger: Ledger,
  options: { critics?: number; refuse?: boolean; logger?: Logger } = {},
): Promise<Engine> {
  const engine = createEngine({
    proposer: pairing(linearModel('p', WEAK_WEIGHTS, '1'), ledger, options.refuse),
    critics: Array.from({ length: options.critics ?? 1 }, () => countingCritic(ledger)),
    policy: { maxDissonance: 1 },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  await engine.ready();
  return engine;
}

describe('the champion and its one critic as one model (LoadedModel.pairWith)', () => {
  it('runs batches through the pair once it is ready, with the same results as two runs', async () => {
    const ledger = newLedger();
    const { logger, lines } = capturingLogger();
    const engine = await pairingEngine(ledger, { logger });
    const apart = await engine.process(batch(1));
    expect(ledger.asked).toEqual(['p@1']);
    expect(ledger.criticRuns).toBe(1);
    await settle();
    expect((await engine.health()).pairedWithCritic).toBe(true);
    const paired = await engine.process(batch(1));
    expect(ledger.pairRuns).toBe(1);
    expect(ledger.criticRuns).toBe(1);
    expect(Array.from(paired.probabilities)).toEqual(Array.from(apart.probabilities));
    expect(Array.from(paired.dissonance)).toEqual(Array.from(apart.dissonance));
    for (let i = 0; i < 5; i++) await engine.process(batch(i));
    expect(ledger.pairRuns).toBe(6);
    expect(ledger.asked).toHaveLength(1);
    expect(lines.some((l) => l.includes('champion and critic run as one model'))).toBe(true);
    await engine.stop();
    expect(ledger.disposedPairs).toEqual(['p@1']);
  });

  it('fails the batch a pair fails, then runs the two models apart', async () => {
    const ledger = newLedger();
    const engine = await pairingEngine(ledger);
    await engine.process(batch(0));
    await settle();
    ledger.failNext = true;
    await expect(engine.process(batch(1))).rejects.toMatchObject({ code: 'E_MODEL' });
    expect(ledger.disposedPairs).toEqual(['p@1']);
    expect((await engine.health()).pairedWithCritic).toBe(false);
    const runs = ledger.criticRuns;
    await engine.process(batch(2));
    expect(ledger.criticRuns).toBe(runs + 1);
    expect(ledger.pairRuns).toBe(1);
    expect(ledger.asked).toHaveLength(1);
    const summary = await engine.stop();
    expect(summary).toMatchObject({ accepted: 6, processed: 4, failed: 2 });
  });

  it('logs a refusal and runs apart; no pair without exactly one critic or with proposed outputs', async () => {
    const ledger = newLedger();
    const { logger, lines } = capturingLogger();
    const refusing = await pairingEngine(ledger, { refuse: true, logger });
    for (let i = 0; i < 3; i++) {
      await refusing.process(batch(i));
      await settle();
    }
    expect(ledger.asked).toEqual(['p@1']);
    expect(ledger.criticRuns).toBe(3);
    expect(lines.some((l) => l.includes('champion and critic run apart') && l.includes('test refusal'))).toBe(true);
    await refusing.stop();

    const two = newLedger();
    const twoCritics = await pairingEngine(two, { critics: 2 });
    await twoCritics.process(batch(0));
    await settle();
    await twoCritics.process(batch(1));
    expect(two.asked).toEqual([]);
    await twoCritics.stop();

    const given = newLedger();
    const engine = await pairingEngine(given);
    await engine.process(batch(0));
    await settle();
    const probabilities = new Float32Array(6).fill(1 / 3);
    await engine.process(batch(1), { proposed: { probabilities } });
    expect(given.pairRuns).toBe(0);
    await engine.stop();
  });

  it('asks each new champion for its pair and disposes a pair when its champion retires', async () => {
    const ledger = newLedger();
    const registry = new MemoryRegistry();
    const runtime = pairingRuntime(ledger);
    const v1 = await runtime.load(linearModel('m', WEAK_WEIGHTS).artifact, {
      name: 'm',
      version: '0',
      inputWidth: 2,
      classes: 3,
    });
    const engine = createEngine({
      modelName: 'm',
      proposer: v1,
      critics: [countingCritic(ledger)],
      registry,
      runtime,
      policy: { maxDissonance: 1 },
    });
    await engine.ready();
    const x = (i: number) => ({ x: Float32Array.of(i % 3, -(i % 2)), rows: 1 });
    await engine.process(x(0));
    await settle();
    await engine.process(x(1));
    expect(ledger.pairRuns).toBe(1);
    const good = linearModel('m', GOOD_WEIGHTS);
    for (const step of [2, 3]) {
      const next = await registry.register({ name: 'm', artifact: good.artifact, inputWidth: 2, classes: 3 });
      await registry.setAlias('m', 'champion', next.version);
      await expect(engine.refreshChampion()).resolves.toBe(true);
      await engine.process(x(step));
      await settle();
      await engine.process(x(step));
    }
    expect(ledger.asked).toEqual(['m@0', 'm@2', 'm@3']);
    expect(ledger.pairRuns).toBe(3);
    // The first swap keeps v0 loaded as the rollback target; the second retires it with its pair.
    expect(ledger.disposedPairs).toEqual(['m@0']);
    await engine.stop();
    expect(ledger.disposedPairs.sort()).toEqual(['m@0', 'm@2', 'm@3']);
  });
});
