import {
  createEngine,
  MemoryRegistry,
  MemoryStore,
  type Engine,
  type EngineEvents,
  type Trainer,
} from '@dissonance/core';
import { describe, expect, it } from 'vitest';
import { EngineErrors } from '../../src/health/engine-errors.js';
import { sumModel, WIDTH } from '../../../server/test/http/fixtures.js';

describe('EngineErrors: the engine’s error events in the log and in readiness', () => {
  it('logs every error; only loop stages fail readiness, until the stage works again', async () => {
    // A real engine driven into each failure: a batch its proposer refuses, a failing fit, a champion it cannot load.
    let fitFails = true;
    const trainer: Trainer = {
      name: 'switchable',
      fit: async (base) => {
        if (fitFails) throw new Error('non-finite loss');
        const model = sumModel(base.name, 'candidate', 1);
        return { model, artifact: model.artifact!, report: { loss: [0.1] } };
      },
    };
    const toy = sumModel('toy');
    const registry = new MemoryRegistry();
    const engine: Engine = createEngine({
      modelName: 'toy',
      proposer: Object.assign(Object.create(toy) as typeof toy, {
        run: (x: Float32Array, rows: number) => {
          if (x[0] === 99) throw new Error('the proposer refuses this batch');
          return toy.run(x, rows);
        },
      }),
      critics: [sumModel('critic', '0', 2)],
      trainer,
      registry,
      store: new MemoryStore(),
      retrain: { everyExamples: 0, minExamples: 1 },
    });
    await engine.ready();
    const names = [
      'error',
      'proposed',
      'dissonance',
      'retrained',
      'promoted',
      'rolledBack',
    ] as const satisfies readonly (keyof EngineEvents)[];
    const listenersBefore = names.map((name) => engine.listenerCount(name));
    const logged: unknown[] = [];
    const errors = new EngineErrors(engine, (e) => logged.push(e));

    // One batch failing is answered to its caller: logged, but a client cannot take the server out of rotation.
    await expect(engine.process({ x: new Float32Array(WIDTH).fill(99), rows: 1 })).rejects.toMatchObject({
      code: 'E_MODEL',
    });
    expect(logged).toHaveLength(1);
    expect(errors.failingParts()).toEqual([]);

    await engine.feedback([{ id: 'f1', features: [1, 1, 1, 1], label: 1 }], { who: 'ops', retrainEvery: 0 });
    await engine.retrainNow();
    // The champion alias moves to a version the engine has no runtime for.
    const other = sumModel('toy', 'x', 3);
    const moved = await registry.register({
      name: 'toy',
      artifact: { format: 'unloadable', bytes: other.artifact!.bytes },
      inputWidth: WIDTH,
      classes: 2,
    });
    await registry.setAlias('toy', 'champion', moved.version);
    await engine.refreshChampion();
    expect(errors.failingParts()).toEqual([
      { name: 'loop.retrain', error: expect.stringMatching(/^E_TRAINER: .*non-finite loss/) },
      { name: 'loop.refresh', error: expect.stringMatching(/^E_CONFIG: .*no runtime/) },
    ]);

    // A retrain that produces a candidate (into its canary) shows the retrain stage works again.
    fitFails = false;
    await registry.setAlias('toy', 'champion', engine.championVersion);
    await engine.retrainNow();
    expect(errors.failingParts().map((p) => p.name)).toEqual(['loop.refresh']);

    expect(logged).toHaveLength(3);
    errors.close();
    expect(names.map((name) => engine.listenerCount(name))).toEqual(listenersBefore);
    await engine.stop();
  });
});
