import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEngine, oracleLabels, type Batch, type Engine, type PromotedEvent } from '@dissonance/core';
import { createMlpTrainer, MlpModel, type MlpWeights } from '@dissonance/core/mlp';
import { waitFor } from '@dissonance/core/testing';
import { OnnxNodeRuntime } from '@dissonance/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowRegistry } from '../src/index.js';
import { MlflowCleanup, testName } from './mlflow-cleanup.js';
import { lockMlflowServer } from './mlflow-server-lock.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const URL_ = 'http://127.0.0.1:5001';
/** Every model and experiment this test creates is deleted after it, failed or not. */
const cleanup = new MlflowCleanup(URL_);
const MODEL = cleanup.model(testName('outage'));
const EXPERIMENT = cleanup.experiment(testName('outage'));

function mlflow(command: 'up' | 'down'): void {
  execFileSync('bash', ['scripts/services.d/mlflow.sh', command], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });
}

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(`${URL_}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** Deterministic 2-feature, 3-class Gaussian blobs. */
function blobs(seed: number, rows: number): { x: Float32Array; labels: Int32Array } {
  let state = seed >>> 0;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const centers = [
    [0, 2],
    [2, -1],
    [-2, -1],
  ];
  const x = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(rand() * 3);
    const g = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    labels[r] = c;
    x[r * 2] = (centers[c]?.[0] ?? 0) + 0.8 * g();
    x[r * 2 + 1] = (centers[c]?.[1] ?? 0) + 0.8 * g();
  }
  return { x, labels };
}

function linear(w: number[]): MlpWeights {
  return {
    inputWidth: 2,
    classes: 3,
    layers: [{ inputs: 2, outputs: 3, weight: Float32Array.from(w), bias: new Float32Array(3), activation: 'none' }],
  };
}
const GOOD = linear([0, 2, -2, 2, -1, -1]);
const WEAK = linear([0.2, -0.3, 0.1, 0.1, 0.2, -0.3]);

/** Batches of `size` rows from `first` on, with ids `item-<row>` the oracle maps back to labels. */
function batchesOf(x: Float32Array, first: number, rows: number, size: number): Batch[] {
  const out: Batch[] = [];
  for (let start = first; start < first + rows; start += size) {
    const ids = Array.from({ length: size }, (_, i) => `item-${start + i}`);
    out.push({ x: x.slice(start * 2, (start + size) * 2), rows: size, ids });
  }
  return out;
}

/** A fresh registry client per engine: nothing is shared between the "trainer" and "serving" processes. */
function registry(): MlflowRegistry {
  return new MlflowRegistry({
    url: URL_,
    experimentName: EXPERIMENT,
    maxRetries: 1,
    retryBaseMs: 20,
    timeoutMs: 5_000,
  });
}

let release: (() => void) | undefined;
const engines: Engine[] = [];

beforeAll(async () => {
  release = await lockMlflowServer(ROOT);
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  try {
    // Whatever happened in the test, leave the shared server running.
    if (!(await healthy())) mlflow('up');
    await Promise.all(engines.map((engine) => engine.stop()));
    await cleanup.sweep();
  } finally {
    release?.();
  }
}, 300_000);

describe('an engine on MLflow across an MLflow outage', () => {
  it('keeps serving while MLflow is down, registers and promotes the kept candidate once it is back, and a serving engine hot-swaps to it', async () => {
    const stream = blobs(1, 512);
    const golden = { ...blobs(2, 300), rows: 300 };
    const label = (itemId: string): number => stream.labels[Number(itemId.split('-')[1])] ?? -1;
    const trainer = createEngine({
      modelName: MODEL,
      proposer: new MlpModel(WEAK, { name: MODEL }),
      critics: [new MlpModel(GOOD, { name: 'critic' })],
      labels: oracleLabels(async (requests) => requests.map((r) => label(r.itemId))),
      trainer: createMlpTrainer({ epochs: 30, learningRate: 0.05 }),
      runtime: new OnnxNodeRuntime({ executionProvider: 'cpu' }),
      registry: registry(),
      golden,
      policy: { klEps: 5, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
      retrain: { everyExamples: 64, mode: 'inline', registryRetryMs: 250 },
      rollout: { canaryFraction: 0 },
    });
    engines.push(trainer);
    const errors: string[] = [];
    const promoted: PromotedEvent[] = [];
    trainer.on('error', (e) => errors.push(`${e.stage}:${e.error.code}`));
    trainer.on('promoted', (e) => promoted.push(e));
    await trainer.ready();
    expect(trainer.championVersion).toBe('1');

    // A second process that only serves: its own registry client, polling the champion alias.
    const serving = createEngine({
      modelName: MODEL,
      proposer: new MlpModel(WEAK, { name: MODEL }),
      critics: [new MlpModel(GOOD, { name: 'critic' })],
      registry: registry(),
      runtime: new OnnxNodeRuntime({ executionProvider: 'cpu' }),
      championRefreshMs: 200,
      policy: { maxDissonance: 1 },
    });
    engines.push(serving);
    const swaps: PromotedEvent[] = [];
    serving.on('promoted', (e) => swaps.push(e));
    await serving.ready();
    expect(serving.championVersion).toBe('1');

    mlflow('down');
    for (let i = 0; i < 100 && (await healthy()); i++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await healthy()).toBe(false);

    // The retrain runs (inline, at 64 examples) but cannot register: the candidate is kept.
    for (const batch of batchesOf(stream.x, 0, 128, 32)) await trainer.process(batch);
    expect(errors).toContain('retrain:E_REGISTRY_UNAVAILABLE');
    expect(trainer.counters.retrains).toBeGreaterThanOrEqual(1);
    expect(trainer.championVersion).toBe('1');
    expect(promoted).toEqual([]);
    // Both engines keep serving, and no example is lost.
    for (const batch of batchesOf(stream.x, 128, 64, 32)) await trainer.process(batch);
    const served = await serving.process(batchesOf(stream.x, 256, 32, 32)[0] as Batch);
    expect(served.probabilities).toHaveLength(32 * 3);
    expect(trainer.counters).toMatchObject({ accepted: 192, processed: 192, failed: 0 });
    expect(await trainer.store.countExamples()).toBe(192);
    expect(serving.championVersion).toBe('1');

    mlflow('up');
    await waitFor(() => promoted.length > 0, 90_000, 'the kept candidate to be registered and promoted');
    expect(promoted[0]).toMatchObject({ version: '2', previous: '1' });
    expect(trainer.championVersion).toBe('2');

    // MLflow itself: the champion alias points at version 2, which carries its lineage.
    const alias = await fetch(`${URL_}/api/2.0/mlflow/registered-models/alias?name=${MODEL}&alias=champion`);
    expect(alias.ok).toBe(true);
    const { model_version: mv } = (await alias.json()) as { model_version: { version: string; run_id: string } };
    expect(mv.version).toBe('2');
    const run = await fetch(`${URL_}/api/2.0/mlflow/runs/get?run_id=${mv.run_id}`);
    const { run: runInfo } = (await run.json()) as { run: { data: { tags?: { key: string; value: string }[] } } };
    const tags = Object.fromEntries((runInfo.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'dissonance.lineage.parent': '1',
      'dissonance.lineage.examples': expect.stringMatching(/^[1-9][0-9]*$/) as unknown,
    });
    expect(Number(tags['dissonance.lineage.examples'])).toBeGreaterThanOrEqual(64);
    const v2 = await registry().get(MODEL, '2');
    expect(v2.lineage.parent).toBe('1');
    expect(v2.tags.decision).toBe('accepted');

    // The serving engine picks the promotion up without a restart.
    await waitFor(() => serving.championVersion === '2', 15_000, 'the serving engine to hot-swap to version 2');
    expect(swaps.at(-1)).toMatchObject({
      version: '2',
      previous: '1',
      reason: expect.stringMatching(/hot-swap/) as unknown,
    });
    const after = await serving.process(batchesOf(stream.x, 288, 32, 32)[0] as Batch);
    expect(after.probabilities).toHaveLength(32 * 3);
  }, 180_000);
});
