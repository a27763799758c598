import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRegistry, ModelVersion, RegisterInput } from '../ports/registry.js';
import { randomId } from '../util/ids.js';
import { sha256Hex } from '../util/sha256.js';
import { expectCode } from './expect-code.js';

/** What a registry contract factory returns: a fresh registry and how to reach behind it. */
export interface RegistryFixture {
  readonly registry: ModelRegistry;
  /** Corrupts the stored artifact of a version behind the registry's back; the digest test runs only when given. */
  readonly tamper?: (name: string, version: string) => Promise<void>;
  /** Runs after each test, once the suite has called `registry.close()`. */
  readonly cleanup?: () => Promise<void>;
}

/**
 * The {@link ModelRegistry} contract: every implementation (memory, file, MLflow, S3…) runs it against the
 * real thing. `factory` is called before each test; each test uses its own random model names, so a shared
 * server works.
 */
export function registryContract(name: string, factory: () => Promise<RegistryFixture>): void {
  describe(`ModelRegistry contract: ${name}`, () => {
    let fixture: RegistryFixture;
    let registry: ModelRegistry;

    beforeEach(async () => {
      fixture = await factory();
      registry = fixture.registry;
    });

    afterEach(async () => {
      await registry.close?.();
      await fixture.cleanup?.();
    });

    it('register returns a manifest whose sha256 and size describe the bytes', async () => {
      const model = modelName();
      const bytes = randomBytes(257);
      const input = registerInput(model, bytes, {
        metrics: { accuracy: 0.93, loss: 0.21 },
        params: { lr: 0.01, epochs: 3, optimizer: 'adam', warm: true },
        tags: { stage: 'test' },
        lineage: { parent: '7', examples: 120, dissonanceMean: 0.14, traceId: '0af7651916cd43dd8448eb211c80319c' },
      });
      const manifest = await registry.register(input);
      expect(manifest).toMatchObject({
        name: model,
        version: '1',
        format: 'onnx',
        sha256: await sha256Hex(bytes),
        size: 257,
        inputWidth: 4,
        classes: 3,
        metrics: input.metrics,
        params: input.params,
        tags: input.tags,
        lineage: input.lineage,
      });
      expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(manifest.createdAt))).toBe(false);
    });

    it('get and fetch round-trip the manifest and the exact bytes, verified', async () => {
      const model = modelName();
      const bytes = randomBytes(1000);
      const manifest = await registry.register(registerInput(model, bytes));
      expect(await registry.get(model, '1')).toEqual(manifest);
      const fetched = await registry.fetch(model, '1');
      expect(fetched.manifest).toEqual(manifest);
      expect(fetched.artifact.format).toBe('onnx');
      expect([...fetched.artifact.bytes]).toEqual([...bytes]);
      expect(await sha256Hex(fetched.artifact.bytes)).toBe(manifest.sha256);
    });

    it('keeps its own copy of the artifact bytes', async () => {
      const model = modelName();
      const bytes = randomBytes(64);
      const original = [...bytes];
      await registry.register(registerInput(model, bytes));
      bytes.fill(0);
      const first = await registry.fetch(model, '1');
      expect([...first.artifact.bytes]).toEqual(original);
      first.artifact.bytes.fill(7);
      expect([...(await registry.fetch(model, '1')).artifact.bytes]).toEqual(original);
    });

    it('numbers versions 1, 2, 3… per model name', async () => {
      const a = modelName();
      const b = modelName();
      const versions: string[] = [];
      for (let i = 0; i < 3; i++) versions.push((await registry.register(registerInput(a, randomBytes(16)))).version);
      expect(versions).toEqual(['1', '2', '3']);
      expect((await registry.register(registerInput(b, randomBytes(16)))).version).toBe('1');
      expect((await registry.get(a, '2')).version).toBe('2');
    });

    it('rejects unknown models and versions with E_NOT_FOUND', async () => {
      const model = modelName();
      await expectCode(registry.get(model, '1'), 'E_NOT_FOUND');
      await expectCode(registry.fetch(model, '1'), 'E_NOT_FOUND');
      await expectCode(registry.resolve(model, 'champion'), 'E_NOT_FOUND');
      await expectCode(registry.aliases(model), 'E_NOT_FOUND');
      await expectCode(registry.list(model), 'E_NOT_FOUND');
      await registry.register(registerInput(model, randomBytes(8)));
      await expectCode(registry.get(model, '2'), 'E_NOT_FOUND');
      await expectCode(registry.fetch(model, '2'), 'E_NOT_FOUND');
      await expectCode(registry.get(model, 'not-a-version'), 'E_NOT_FOUND');
    });

    it('rejects a missing alias with E_ALIAS_NOT_FOUND', async () => {
      const model = modelName();
      await registry.register(registerInput(model, randomBytes(8)));
      await expectCode(registry.resolve(model, 'champion'), 'E_ALIAS_NOT_FOUND');
    });

    it('sets, resolves, lists, moves and deletes aliases', async () => {
      const model = modelName();
      const v1 = await registry.register(registerInput(model, randomBytes(8)));
      const v2 = await registry.register(registerInput(model, randomBytes(8)));
      expect(await registry.aliases(model)).toEqual({});
      await registry.setAlias(model, 'champion', '1');
      await registry.setAlias(model, 'challenger', '2');
      expect(await registry.resolve(model, 'champion')).toEqual(v1);
      expect(await registry.resolve(model, 'challenger')).toEqual(v2);
      expect(await registry.aliases(model)).toEqual({ champion: '1', challenger: '2' });
      await registry.setAlias(model, 'champion', '2');
      expect((await registry.resolve(model, 'champion')).version).toBe('2');
      await registry.deleteAlias(model, 'challenger');
      await expectCode(registry.resolve(model, 'challenger'), 'E_ALIAS_NOT_FOUND');
      await registry.deleteAlias(model, 'challenger');
      expect(await registry.aliases(model)).toEqual({ champion: '2' });
    });

    it('refuses to point an alias at a version that does not exist', async () => {
      const model = modelName();
      await registry.register(registerInput(model, randomBytes(8)));
      await registry.setAlias(model, 'champion', '1');
      await expectCode(registry.setAlias(model, 'champion', '9'), 'E_NOT_FOUND');
      expect((await registry.resolve(model, 'champion')).version).toBe('1');
    });

    it('compare-and-set: changes the alias only when it points where expected', async () => {
      const model = modelName();
      for (let i = 0; i < 3; i++) await registry.register(registerInput(model, randomBytes(8)));
      await registry.setAlias(model, 'champion', '1', { expected: null });
      await expectCode(registry.setAlias(model, 'champion', '2', { expected: null }), 'E_REGISTRY_CONFLICT');
      await expectCode(registry.setAlias(model, 'champion', '2', { expected: '3' }), 'E_REGISTRY_CONFLICT');
      expect((await registry.resolve(model, 'champion')).version).toBe('1');
      await registry.setAlias(model, 'champion', '2', { expected: '1' });
      expect((await registry.resolve(model, 'champion')).version).toBe('2');
    });

    it('of two concurrent compare-and-set promotions from the same version, exactly one wins', async () => {
      const model = modelName();
      for (let i = 0; i < 3; i++) await registry.register(registerInput(model, randomBytes(8)));
      await registry.setAlias(model, 'champion', '1');
      const results = await Promise.allSettled([
        registry.setAlias(model, 'champion', '2', { expected: '1' }),
        registry.setAlias(model, 'champion', '3', { expected: '1' }),
      ]);
      const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i === 0 ? '2' : '3'] : []));
      const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as { code?: unknown }).code).toBe('E_REGISTRY_CONFLICT');
      expect((await registry.resolve(model, 'champion')).version).toBe(won[0]);
    });

    it('lists every version exactly once, newest first, across pages', async () => {
      const model = modelName();
      for (let i = 0; i < 5; i++) await registry.register(registerInput(model, randomBytes(8)));
      const seen: string[] = [];
      const sizes: number[] = [];
      let pageToken: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page: { items: readonly ModelVersion[]; nextPageToken?: string } = await registry.list(model, {
          pageSize: 2,
          ...(pageToken === undefined ? {} : { pageToken }),
        });
        sizes.push(page.items.length);
        seen.push(...page.items.map((item) => item.version));
        pageToken = page.nextPageToken;
        if (pageToken === undefined) break;
      }
      expect(seen).toEqual(['5', '4', '3', '2', '1']);
      expect(sizes.every((size) => size <= 2)).toBe(true);
      const all = await registry.list(model);
      expect(all.items.map((item) => item.version)).toEqual(['5', '4', '3', '2', '1']);
      expect(all.nextPageToken).toBeUndefined();
    });

    it('rejects a page token it did not issue and a bad page size with E_INPUT', async () => {
      const model = modelName();
      await registry.register(registerInput(model, randomBytes(8)));
      await expectCode(registry.list(model, { pageToken: '%%not-a-token%%' }), 'E_INPUT');
      await expectCode(registry.list(model, { pageSize: 0 }), 'E_INPUT');
    });

    it('refuses a tampered artifact with E_ARTIFACT_DIGEST', async (context) => {
      const tamper = fixture.tamper;
      if (tamper === undefined) {
        context.skip();
        return;
      }
      const model = modelName();
      await registry.register(registerInput(model, randomBytes(128)));
      await tamper(model, '1');
      await expectCode(registry.fetch(model, '1'), 'E_ARTIFACT_DIGEST');
    });

    it('rejects bad input with E_INPUT and registers nothing', async () => {
      const model = modelName();
      const good = registerInput(model, randomBytes(8));
      const bad: Array<[string, RegisterInput]> = [
        ['empty name', { ...good, name: '' }],
        ['name with a space', { ...good, name: 'bad name' }],
        ['name with a slash', { ...good, name: 'bad/name' }],
        ['zero inputWidth', { ...good, inputWidth: 0 }],
        ['negative inputWidth', { ...good, inputWidth: -4 }],
        ['fractional classes', { ...good, classes: 2.5 }],
        ['zero classes', { ...good, classes: 0 }],
        ['NaN metric', { ...good, metrics: { accuracy: Number.NaN } }],
        ['infinite metric', { ...good, metrics: { loss: Number.POSITIVE_INFINITY } }],
        ['empty artifact', { ...good, artifact: { format: 'onnx', bytes: new Uint8Array(0) } }],
        ['empty format', { ...good, artifact: { format: '', bytes: randomBytes(8) } }],
      ];
      for (const [label, input] of bad) {
        const error = await expectCode(registry.register(input), 'E_INPUT');
        expect(error.message, label).not.toBe('');
      }
      await expectCode(registry.get(model, '1'), 'E_NOT_FOUND');
    });

    it('ping resolves', async () => {
      await expect(registry.ping()).resolves.toBeUndefined();
    });
  });
}

function modelName(): string {
  return `contract-${randomId()}`;
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

function registerInput(name: string, bytes: Uint8Array, extra: Partial<RegisterInput> = {}): RegisterInput {
  return { name, artifact: { format: 'onnx', bytes }, inputWidth: 4, classes: 3, ...extra };
}
