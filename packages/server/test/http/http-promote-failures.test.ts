import { createEngine, DissonanceError, MemoryRegistry, MemoryStore, type SetAliasOptions } from '@dissonance/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CLASSES, createSigner, startTestServer, sumModel, sumRuntime, WIDTH } from './fixtures.js';

/** A memory registry whose alias writes fail from the `failFrom`-th one on (a registry that went away). */
class FailingAliasRegistry extends MemoryRegistry {
  aliasWrites = 0;
  failFrom = Number.POSITIVE_INFINITY;

  override async setAlias(name: string, alias: string, version: string, options?: SetAliasOptions): Promise<void> {
    if (++this.aliasWrites >= this.failFrom) throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'registry went away');
    return super.setAlias(name, alias, version, options);
  }
}

describe('promote over HTTP when the engine cannot switch', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function setup() {
    const signer = await createSigner();
    const registry = new FailingAliasRegistry();
    const engine = createEngine({
      modelName: 'toy',
      proposer: sumModel('toy'),
      critics: [sumModel('critic', '0', 2)],
      runtime: sumRuntime,
      registry,
      store: new MemoryStore(),
      retrain: { everyExamples: 0 },
    });
    await engine.ready();
    const logged: unknown[] = [];
    const ctx = await startTestServer(signer, { engine, retrainEvery: 0, onError: (error) => logged.push(error) });
    closers.push(ctx.close);
    const token = await signer.sign({ sub: 'ops-admin', scope: 'admin' });
    // Registered fine, but in a format no runtime of the engine loads.
    const bytes = sumModel('toy', '0', 3).artifact.bytes;
    const version = (
      await registry.register({
        name: 'toy',
        artifact: { format: 'unloadable', bytes },
        inputWidth: WIDTH,
        classes: CLASSES,
      })
    ).version;
    const promote = (): Promise<Response> =>
      fetch(`${ctx.server.url}/v1/models/toy/promote`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version }),
      });
    return { ctx, registry, engine, logged, promote, version };
  }

  it('the alias is put back and the answer is 409 E_REGISTRY_CONFLICT; nothing audited', async () => {
    const { ctx, registry, engine, promote } = await setup();
    const response = await promote();
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_REGISTRY_CONFLICT');
    expect((await registry.resolve('toy', 'champion')).version).toBe(engine.championVersion);
    expect((await ctx.engine.store.audit()).some((e) => e.action === 'model.promote')).toBe(false);
  });

  it('a failed put-back is not swallowed: a 500, the server log gets E_ALIAS_RESTORE and /readyz fails on loop.promote', async () => {
    const { ctx, registry, logged, promote, version } = await setup();
    registry.failFrom = registry.aliasWrites + 2;
    const response = await promote();
    expect(response.status).toBe(500);
    expect(logged.some((e) => e instanceof DissonanceError && e.code === 'E_ALIAS_RESTORE')).toBe(true);
    expect((await registry.resolve('toy', 'champion')).version).toBe(version);
    const ready = await fetch(`${ctx.server.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { failing: { name: string; error: string }[] };
    expect(body.failing).toContainEqual({ name: 'loop.promote', error: expect.stringContaining('E_ALIAS_RESTORE') });
  });
});
