import { describe, expect, it } from 'vitest';
import { createEngine, MemoryRegistry, MemoryStore, type ModelRegistry } from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel } from './fixtures.js';

const models = () => ({ proposer: linearModel('p', GOOD_WEIGHTS), critics: [linearModel('q', GOOD_WEIGHTS)] });

describe('runtime policy updates', () => {
  it('validates, persists in the store and audits who changed what', async () => {
    const store = new MemoryStore();
    const engine = createEngine({ ...models(), store });
    const changes: string[] = [];
    engine.on('policy', (e) => changes.push(`${e.who}:${e.before.maxDissonance}->${e.after.maxDissonance}`));
    const after = await engine.updatePolicy({ maxDissonance: 0.3 }, { who: 'alice', reason: 'tighten' });
    expect(after.maxDissonance).toBe(0.3);
    expect(engine.policy.dTarget).toBe(0.12);
    expect(changes).toEqual(['alice:0.5->0.3']);
    const [entry] = await store.audit();
    expect(entry).toMatchObject({ who: 'alice', action: 'policy.update', reason: 'tighten' });
    expect((entry?.before as Record<string, number>).maxDissonance).toBe(0.5);
    expect((entry?.after as Record<string, number>).maxDissonance).toBe(0.3);

    await expect(engine.updatePolicy({ maxDisonance: 1 } as never, { who: 'bob' })).rejects.toThrow(
      /E_POLICY.*unknown key\(s\) "maxDisonance"/,
    );
    await expect(engine.updatePolicy({ klEps: Number.POSITIVE_INFINITY }, { who: 'bob' })).rejects.toMatchObject({
      code: 'E_POLICY',
    });
    await expect(engine.updatePolicy({ dBudgetPerHour: -1 }, { who: 'bob' })).rejects.toMatchObject({
      code: 'E_POLICY',
    });
    expect(engine.policy.maxDissonance).toBe(0.3);
    expect(await store.audit()).toHaveLength(1);
    await engine.stop();

    const restarted = createEngine({ ...models(), store, registry: engine.registry });
    await restarted.ready();
    expect(restarted.policy.maxDissonance).toBe(0.3);
    await restarted.stop();
  });

  it('a policy change takes effect on the next batch (quarantine threshold)', async () => {
    const engine = createEngine({
      proposer: linearModel('p', GOOD_WEIGHTS),
      critics: [linearModel('q', { w: [0, -2, 2, -2, 1, 1], b: [0, 0, 0] })],
    });
    const batch = { x: Float32Array.of(0, 2, 2, -1, -2, -1), rows: 3 };
    const first = await engine.process(batch);
    expect(first.outcome.blocked).toBe(3);
    await engine.updatePolicy({ maxDissonance: 1 }, { who: 'ops' });
    const second = await engine.process(batch);
    expect(second.outcome.blocked).toBe(0);
    await engine.stop();
  });
});

describe('health', () => {
  it('reports each port and the loop, and flags a registry that stops answering', async () => {
    let down = false;
    const registry = new MemoryRegistry();
    const flaky: ModelRegistry = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === 'ping') return () => (down ? Promise.reject(new Error('connection refused')) : Promise.resolve());
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const engine = createEngine({ ...models(), registry: flaky });
    await engine.process({ x: Float32Array.of(0, 2), rows: 1 });
    let health = await engine.health();
    expect(health.status).toBe('ok');
    expect(health.champion).toBe('1');
    expect(health.ports.registry).toEqual({ ok: true });
    expect(health.loop).toMatchObject({ accepted: 1, processed: 1, queued: 0, inFlight: 0 });
    down = true;
    health = await engine.health();
    expect(health.status).toBe('degraded');
    expect(health.ports.registry).toEqual({ ok: false, error: 'connection refused' });
    down = false;
    expect((await engine.health()).status).toBe('ok');
    await engine.stop();
    expect((await engine.health()).status).toBe('stopped');
  });
});
