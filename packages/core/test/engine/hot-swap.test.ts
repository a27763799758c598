import { describe, expect, it } from 'vitest';
import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  type LoadedModel,
  type ModelArtifact,
  type ModelInfo,
  type ModelRuntime,
} from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, WEAK_WEIGHTS, type LinearWeights } from './fixtures.js';

/** A runtime for the fixtures' linear JSON artifacts that counts live models and slows runs down. */
function linearRuntime(delayMs: number) {
  const live = { loaded: 0, disposed: 0, runningOnDisposed: 0 };
  const runtime: ModelRuntime = {
    name: 'linear-json',
    supports: (format) => format === 'linear-json',
    async load(artifact: ModelArtifact, info: ModelInfo): Promise<LoadedModel> {
      const weights = JSON.parse(new TextDecoder().decode(artifact.bytes)) as LinearWeights;
      const inner = linearModel(info.name, weights, info.version);
      let disposed = false;
      live.loaded++;
      return {
        name: info.name,
        version: info.version,
        inputWidth: inner.inputWidth,
        classes: inner.classes,
        artifact: inner.artifact,
        async run(x, rows) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          if (disposed) live.runningOnDisposed++;
          return inner.run(x, rows);
        },
        async dispose() {
          if (!disposed) live.disposed++;
          disposed = true;
        },
      };
    },
  };
  return { runtime, live };
}

const rows = (i: number) => ({ x: Float32Array.of(i % 3, -(i % 2)), rows: 1, ids: [`r${i}`] });

describe('hot swap when the registry champion moves', () => {
  it('switches to the new version without failing or dropping in-flight calls, then disposes the old one', async () => {
    const registry = new MemoryRegistry();
    const { runtime, live } = linearRuntime(5);
    const v1 = await runtime.load(linearModel('m', WEAK_WEIGHTS).artifact, {
      name: 'm',
      version: '0',
      inputWidth: 2,
      classes: 3,
    });
    const engine = createEngine({
      modelName: 'm',
      proposer: v1,
      critics: [linearModel('q', GOOD_WEIGHTS)],
      registry,
      runtime,
      concurrency: 4,
      policy: { maxDissonance: 1 },
    });
    await engine.ready();
    expect(engine.championVersion).toBe('1');
    const servedBy: string[] = [];
    engine.on('proposed', (e) => servedBy.push(...e.versions));

    // Another process registers v2 and moves the alias.
    const good = linearModel('m', GOOD_WEIGHTS);
    const v2 = await registry.register({ name: 'm', artifact: good.artifact, inputWidth: 2, classes: 3 });
    await registry.setAlias('m', 'champion', v2.version);

    const load = Array.from({ length: 40 }, (_, i) => engine.process(rows(i)));
    await new Promise((resolve) => setTimeout(resolve, 8));
    await expect(engine.refreshChampion()).resolves.toBe(true);
    const after = Array.from({ length: 10 }, (_, i) => engine.process(rows(100 + i)));
    const results = await Promise.allSettled([...load, ...after]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(engine.championVersion).toBe('2');
    expect(servedBy.slice(-10)).toEqual(new Array(10).fill('2'));
    expect(servedBy.filter((v) => v === '1').length).toBeGreaterThan(0);
    // v1 stays loaded as the rollback target; a second swap retires it, again under load.
    expect(live.disposed).toBe(0);
    const v3 = await registry.register({ name: 'm', artifact: good.artifact, inputWidth: 2, classes: 3 });
    await registry.setAlias('m', 'champion', v3.version);
    const more = Array.from({ length: 20 }, (_, i) => engine.process(rows(200 + i)));
    await expect(engine.refreshChampion()).resolves.toBe(true);
    await Promise.all(more);
    expect(live.disposed).toBe(1);
    expect(live.runningOnDisposed).toBe(0);
    await expect(engine.refreshChampion()).resolves.toBe(false);
    const summary = await engine.stop();
    expect(summary).toMatchObject({ accepted: 70, processed: 70, failed: 0 });
  });

  it('refuses a tampered artifact and keeps serving the current champion', async () => {
    const registry = new MemoryRegistry();
    const { runtime } = linearRuntime(0);
    const engine = createEngine({
      modelName: 'm',
      proposer: linearModel('m', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      registry,
      runtime,
    });
    await engine.ready();
    const v2 = await registry.register({
      name: 'm',
      artifact: linearModel('m', GOOD_WEIGHTS).artifact,
      inputWidth: 2,
      classes: 3,
    });
    registry.tamperForTesting('m', v2.version);
    await registry.setAlias('m', 'champion', v2.version);
    const errors: string[] = [];
    engine.on('error', (e) => errors.push(e.error.code));
    await expect(engine.refreshChampion()).resolves.toBe(false);
    expect(errors).toEqual(['E_ARTIFACT_DIGEST']);
    expect(engine.championVersion).toBe('1');
    await expect(engine.process(rows(1))).resolves.toBeDefined();
    await engine.stop();
  });

  it('polls the alias on championRefreshMs', async () => {
    const registry = new MemoryRegistry();
    const { runtime } = linearRuntime(0);
    const engine = createEngine({
      modelName: 'm',
      proposer: new FunctionModel({
        name: 'm',
        inputWidth: 2,
        classes: 3,
        run: (_x, n) => new Float32Array(n * 3).fill(1 / 3),
      }),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      registry,
      runtime,
      championRefreshMs: 10,
    });
    await engine.ready();
    const v2 = await registry.register({
      name: 'm',
      artifact: linearModel('m', GOOD_WEIGHTS).artifact,
      inputWidth: 2,
      classes: 3,
    });
    await registry.setAlias('m', 'champion', v2.version);
    const promoted = await new Promise<string>((resolve) => engine.once('promoted', (e) => resolve(e.reason)));
    expect(promoted).toMatch(/hot-swapped/);
    expect(engine.championVersion).toBe('2');
    await engine.stop();
  });
});
