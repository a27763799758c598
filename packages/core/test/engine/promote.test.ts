import { describe, expect, it } from 'vitest';
import {
  createEngine,
  DissonanceError,
  MemoryRegistry,
  MemoryStore,
  type ErrorEvent,
  type LoadedModel,
  type ModelRuntime,
  type PromotedEvent,
  type SetAliasOptions,
} from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, WEAK_WEIGHTS, type LinearWeights } from './fixtures.js';

const linearRuntime: ModelRuntime = {
  name: 'linear-json',
  supports: (format) => format === 'linear-json',
  load: async (artifact, info): Promise<LoadedModel> =>
    linearModel(info.name, JSON.parse(new TextDecoder().decode(artifact.bytes)) as LinearWeights, info.version),
};

/** A memory registry whose alias writes start failing from the `failFrom`-th one (a registry that went away). */
class FailingAliasRegistry extends MemoryRegistry {
  aliasWrites = 0;
  failFrom = Number.POSITIVE_INFINITY;

  override async setAlias(name: string, alias: string, version: string, options?: SetAliasOptions): Promise<void> {
    if (++this.aliasWrites >= this.failFrom) throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'registry went away');
    return super.setAlias(name, alias, version, options);
  }
}

async function setup(options: { runtime?: ModelRuntime; registry?: MemoryRegistry } = {}) {
  const registry = options.registry ?? new MemoryRegistry();
  const store = new MemoryStore();
  const engine = createEngine({
    modelName: 'm',
    proposer: linearModel('m', WEAK_WEIGHTS),
    critics: [linearModel('c', GOOD_WEIGHTS)],
    registry,
    store,
    ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
  });
  await engine.ready();
  const good = linearModel('m', GOOD_WEIGHTS);
  const registered = await registry.register({ name: 'm', artifact: good.artifact!, inputWidth: 2, classes: 3 });
  return { engine, registry, store, version: registered.version };
}

describe('engine.promote', () => {
  it('moves the alias, swaps the champion, audits who did it and emits promoted', async () => {
    const { engine, registry, store, version } = await setup({ runtime: linearRuntime });
    const before = engine.championVersion;
    const promoted: PromotedEvent[] = [];
    engine.on('promoted', (event) => promoted.push(event));
    expect(await engine.promote(version, { who: 'ops-admin', reason: 'better' })).toEqual({
      champion: version,
      previous: before,
    });
    expect(engine.championVersion).toBe(version);
    expect((await registry.resolve('m', 'champion')).version).toBe(version);
    expect(promoted.map((p) => p.version)).toEqual([version]);
    const audit = await store.audit();
    expect(audit.at(-1)).toMatchObject({
      who: 'ops-admin',
      action: 'model.promote',
      before,
      after: version,
      reason: 'better',
    });
    // The serving version again: nothing changes, nothing is audited.
    expect(await engine.promote(version, { who: 'ops-admin' })).toEqual({ champion: version, previous: version });
    expect(await store.audit()).toHaveLength(audit.length);
    await engine.stop();
  });

  it('an unknown version is refused before the alias moves', async () => {
    const { engine, registry } = await setup({ runtime: linearRuntime });
    const before = engine.championVersion;
    await expect(engine.promote('99', { who: 'ops' })).rejects.toBeInstanceOf(DissonanceError);
    expect((await registry.resolve('m', 'champion')).version).toBe(before);
    await engine.stop();
  });

  it('when the engine cannot load the version, the alias is put back: E_REGISTRY_CONFLICT, nothing audited', async () => {
    const { engine, registry, store, version } = await setup();
    const before = engine.championVersion;
    const auditBefore = (await store.audit()).length;
    await expect(engine.promote(version, { who: 'ops' })).rejects.toMatchObject({ code: 'E_REGISTRY_CONFLICT' });
    expect(engine.championVersion).toBe(before);
    expect((await registry.resolve('m', 'champion')).version).toBe(before);
    expect(await store.audit()).toHaveLength(auditBefore);
    await engine.stop();
  });

  it('when putting the alias back fails too, E_ALIAS_RESTORE is raised and emitted, not swallowed', async () => {
    const registry = new FailingAliasRegistry();
    const { engine, version } = await setup({ registry });
    const before = engine.championVersion;
    const errors: ErrorEvent[] = [];
    engine.on('error', (event) => errors.push(event));
    // The compare-and-set succeeds; the restore after the failed swap does not.
    registry.failFrom = registry.aliasWrites + 2;
    const failure = await engine.promote(version, { who: 'ops' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DissonanceError);
    expect(failure).toMatchObject({ code: 'E_ALIAS_RESTORE', details: { serving: before, alias_version: version } });
    expect(errors.filter((e) => e.stage === 'promote').map((e) => e.error)).toEqual([failure]);
    expect(engine.championVersion).toBe(before);
    expect((await engine.health()).loop.lastError).toMatch(/E_ALIAS_RESTORE/);
    await engine.stop();
  });
});
