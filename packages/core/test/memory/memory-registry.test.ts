import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { MemoryRegistry } from '../../src/memory/memory-registry.js';
import type { RegisterInput } from '../../src/ports/registry.js';
import { expectCode } from '../../src/testing/expect-code.js';

const input = (bytes = new Uint8Array([1, 2, 3])): RegisterInput => ({
  name: 'digits',
  artifact: { format: 'onnx', bytes },
  inputWidth: 64,
  classes: 10,
  metrics: { accuracy: 0.9 },
});

describe('MemoryRegistry', () => {
  it('freezes manifests, including their records', async () => {
    const registry = new MemoryRegistry();
    const manifest = await registry.register(input());
    expect(Object.isFrozen(manifest)).toBe(true);
    expect(Object.isFrozen(manifest.metrics)).toBe(true);
    expect(Object.isFrozen(manifest.lineage)).toBe(true);
    expect(Object.isFrozen(await registry.aliases('digits'))).toBe(true);
  });

  it('stamps createdAt from the injected clock', async () => {
    const registry = new MemoryRegistry({ clock: new ManualClock(Date.UTC(2025, 0, 2, 3, 4, 5)) });
    expect((await registry.register(input())).createdAt).toBe('2025-01-02T03:04:05.000Z');
  });

  it('refuses artifacts above maxArtifactBytes with E_INPUT', async () => {
    const registry = new MemoryRegistry({ maxArtifactBytes: 4 });
    await registry.register(input(new Uint8Array(4)));
    const error = await expectCode(registry.register(input(new Uint8Array(5))), 'E_INPUT');
    expect(error.message).toContain('limit of 4');
    expect(() => new MemoryRegistry({ maxArtifactBytes: 0 })).toThrow(/E_CONFIG/);
  });

  it('refuses a bad alias name and unknown params with E_INPUT', async () => {
    const registry = new MemoryRegistry();
    await registry.register(input());
    await expectCode(registry.setAlias('digits', 'no spaces', '1'), 'E_INPUT');
    await expectCode(registry.register({ ...input(), params: { lr: Number.NaN } }), 'E_INPUT');
    await expectCode(registry.register({ ...input(), lineage: { examples: -1 } }), 'E_INPUT');
  });

  it('stores a __proto__ metric as data, not as a prototype', async () => {
    const registry = new MemoryRegistry();
    const metrics = JSON.parse('{"__proto__": 1, "accuracy": 0.5}') as Record<string, number>;
    const manifest = await registry.register({ ...input(), metrics });
    expect(Object.getPrototypeOf(manifest.metrics)).toBe(Object.prototype);
    expect(Object.keys(manifest.metrics)).toEqual(['__proto__', 'accuracy']);
  });

  it('tamperForTesting makes fetch fail, and needs an existing version', async () => {
    const registry = new MemoryRegistry();
    await registry.register(input());
    registry.tamperForTesting('digits', '1');
    await expectCode(registry.fetch('digits', '1'), 'E_ARTIFACT_DIGEST');
    await expectCode(() => registry.tamperForTesting('digits', '2'), 'E_NOT_FOUND');
  });

  it('issues page tokens that survive registrations between pages', async () => {
    const registry = new MemoryRegistry();
    for (let i = 0; i < 3; i++) await registry.register(input());
    const first = await registry.list('digits', { pageSize: 2 });
    await registry.register(input());
    const second = await registry.list('digits', { pageSize: 2, pageToken: first.nextPageToken ?? '' });
    expect([...first.items, ...second.items].map((v) => v.version)).toEqual(['3', '2', '1']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('rejects every call after close with E_REGISTRY_UNAVAILABLE', async () => {
    const registry = new MemoryRegistry();
    await registry.register(input());
    await registry.close();
    await expectCode(registry.ping(), 'E_REGISTRY_UNAVAILABLE');
    await expectCode(registry.get('digits', '1'), 'E_REGISTRY_UNAVAILABLE');
    await expectCode(registry.register(input()), 'E_REGISTRY_UNAVAILABLE');
  });
});
