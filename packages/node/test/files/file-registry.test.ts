import { mkdir, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDissonanceError, type ModelRegistry, type RegisterInput } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { FileRegistry } from '../../src/files/file-registry.js';
import { tempDir } from './fixtures/temp-dir.js';

/** A pid no process can have: above Linux's largest `pid_max` (2^22). */
const DEAD_PID = 99_999_999;

function input(name: string, bytes: Uint8Array = new Uint8Array([1, 2, 3, 4]), format = 'onnx'): RegisterInput {
  return { name, artifact: { format, bytes }, inputWidth: 4, classes: 2 };
}

describe('FileRegistry', () => {
  let root: string;
  let remove: () => Promise<void>;
  let registry: FileRegistry;

  beforeEach(async () => {
    ({ path: root, remove } = await tempDir('file-registry'));
    registry = new FileRegistry({ root });
  });

  afterEach(async () => {
    await registry.close();
    await remove();
  });

  describe('layout', () => {
    it('writes <root>/<model>/<version>/{model.<format>, manifest.json} and <root>/<model>/aliases.json', async () => {
      const manifest = await registry.register({
        ...input('digits', new Uint8Array([9, 8, 7])),
        lineage: { parent: '3', examples: 12, dissonanceMean: 0.2, traceId: 'ab'.repeat(16) },
      });
      await registry.register(input('digits', new Uint8Array([1]), 'json'));
      await registry.setAlias('digits', 'champion', '1');
      expect((await readdir(join(root, 'digits'))).sort()).toEqual(['1', '2', 'aliases.json']);
      expect((await readdir(join(root, 'digits', '1'))).sort()).toEqual(['manifest.json', 'model.onnx']);
      expect((await readdir(join(root, 'digits', '2'))).sort()).toEqual(['manifest.json', 'model.json']);
      expect([...(await readFile(join(root, 'digits', '1', 'model.onnx')))]).toEqual([9, 8, 7]);
      const onDisk = JSON.parse(await readFile(join(root, 'digits', '1', 'manifest.json'), 'utf8')) as unknown;
      expect(onDisk).toEqual({ manifestFormat: 1, ...manifest });
      expect(JSON.parse(await readFile(join(root, 'digits', 'aliases.json'), 'utf8'))).toEqual({ champion: '1' });
    });

    it('sees versions and aliases written by another registry object on the same root', async () => {
      const other = new FileRegistry({ root });
      await other.register(input('shared'));
      await other.setAlias('shared', 'champion', '1');
      expect((await registry.resolve('shared', 'champion')).version).toBe('1');
      expect((await registry.register(input('shared'))).version).toBe('2');
      await other.close();
    });

    it('returns artifact bytes as a plain Uint8Array', async () => {
      await registry.register(input('plain'));
      const { artifact } = await registry.fetch('plain', '1');
      expect(Object.getPrototypeOf(artifact.bytes)).toBe(Uint8Array.prototype);
    });
  });

  describe('damaged files', () => {
    it('refuses a manifest that is not JSON with E_MODEL naming the file', async () => {
      await registry.register(input('m'));
      const path = join(root, 'm', '1', 'manifest.json');
      await writeFile(path, '{"name": "m", "vers');
      const error = await expectCode(registry.get('m', '1'), 'E_MODEL');
      expect(error.message).toContain(path);
      await expectCode(registry.fetch('m', '1'), 'E_MODEL');
      await expectCode(registry.list('m'), 'E_MODEL');
    });

    it('refuses a manifest with a missing, mistyped or unknown field, naming the field', async () => {
      const manifest = await registry.register(input('m'));
      const path = join(root, 'm', '1', 'manifest.json');
      const cases: Array<[string, Record<string, unknown>]> = [
        ['sha256', { ...manifest, manifestFormat: 1, sha256: undefined }],
        ['size', { ...manifest, manifestFormat: 1, size: '4' }],
        ['metrics.acc', { ...manifest, manifestFormat: 1, metrics: { acc: 'high' } }],
        ['lineage.examples', { ...manifest, manifestFormat: 1, lineage: { examples: -1 } }],
        ['surprise', { ...manifest, manifestFormat: 1, surprise: true }],
        ['manifestFormat', { ...manifest, manifestFormat: 2 }],
        ['name', { ...manifest, manifestFormat: 1, version: '7' }],
      ];
      for (const [field, content] of cases) {
        await writeFile(path, JSON.stringify(content));
        const error = await expectCode(registry.get('m', '1'), 'E_MODEL');
        expect((error as { details?: { field?: unknown } }).details?.field, field).toBe(field);
        expect(error.message).toContain(path);
      }
    });

    it('refuses a version directory without its manifest or artifact with E_MODEL', async () => {
      await registry.register(input('m'));
      await registry.register(input('m'));
      await rm(join(root, 'm', '1', 'model.onnx'));
      await expectCode(registry.fetch('m', '1'), 'E_MODEL');
      await rm(join(root, 'm', '2', 'manifest.json'));
      const error = await expectCode(registry.get('m', '2'), 'E_MODEL');
      expect(error.message).toContain(join(root, 'm', '2'));
    });

    it('refuses a truncated artifact with E_ARTIFACT_DIGEST without returning bytes', async () => {
      await registry.register(input('m', new Uint8Array(100).fill(3)));
      await truncate(join(root, 'm', '1', 'model.onnx'), 50);
      await expectCode(registry.fetch('m', '1'), 'E_ARTIFACT_DIGEST');
    });

    it('refuses a malformed aliases.json with E_MODEL naming the file', async () => {
      await registry.register(input('m'));
      const path = join(root, 'm', 'aliases.json');
      for (const text of ['not json', '[]', '{"champion": 1}', '{"champion": "01"}', '{"bad alias": "1"}']) {
        await writeFile(path, text);
        const error = await expectCode(registry.aliases('m'), 'E_MODEL');
        expect(error.message).toContain(path);
        await expectCode(registry.resolve('m', 'champion'), 'E_MODEL');
        await expectCode(registry.setAlias('m', 'champion', '1'), 'E_MODEL');
      }
    });
  });

  describe('names and inputs', () => {
    it('refuses names that would leave the root, and unsafe formats, with E_INPUT', async () => {
      await expectCode(registry.register(input('..')), 'E_INPUT');
      await expectCode(registry.register(input('.')), 'E_INPUT');
      await expectCode(registry.register(input('../escape')), 'E_INPUT');
      await expectCode(registry.register(input('m', undefined, 'on/nx')), 'E_INPUT');
      await expectCode(registry.register(input('m', undefined, '')), 'E_INPUT');
      expect(await readdir(root)).toEqual([]);
    });

    it('answers E_NOT_FOUND for names and versions that cannot exist', async () => {
      await registry.register(input('m'));
      await expectCode(registry.get('..', '1'), 'E_NOT_FOUND');
      await expectCode(registry.get('../m', '1'), 'E_NOT_FOUND');
      await expectCode(registry.get('m', '../1'), 'E_NOT_FOUND');
      await expectCode(registry.get('m', '01'), 'E_NOT_FOUND');
      await expectCode(registry.aliases('m/1'), 'E_NOT_FOUND');
    });

    it('treats a model directory without versions (a crash before the first rename) as unknown', async () => {
      await mkdir(join(root, 'empty', `.tmp-${process.pid}-abc-version`), { recursive: true });
      await expectCode(registry.list('empty'), 'E_NOT_FOUND');
      expect((await registry.register(input('empty'))).version).toBe('1');
    });

    it('enforces maxArtifactBytes and validates its options', async () => {
      const small = new FileRegistry({ root, maxArtifactBytes: 3 });
      await expectCode(small.register(input('m', new Uint8Array(4))), 'E_INPUT');
      await small.close();
      expect(() => new FileRegistry({ root, maxArtifactBytes: 0 })).toThrow(/maxArtifactBytes/);
      expect(() => new FileRegistry({ root: '' })).toThrow(/root/);
      expect(() => new FileRegistry({ root, lockStaleMs: -1 })).toThrow(/lockStaleMs/);
    });

    it('rejects a non-string expected version with E_INPUT', async () => {
      await registry.register(input('m'));
      const options = { expected: 1 } as unknown as { expected: string };
      await expectCode(registry.setAlias('m', 'champion', '1', options), 'E_INPUT');
    });
  });

  describe('recovery and availability', () => {
    it('removes temporary entries of dead writers on first use and keeps those of live ones', async () => {
      const model = join(root, 'm');
      const dead = join(model, `.tmp-${DEAD_PID}-0123-version`);
      const live = join(model, `.tmp-${process.pid}-4567-version`);
      await mkdir(dead, { recursive: true });
      await mkdir(live);
      await writeFile(join(dead, 'model.onnx'), 'half');
      await writeFile(join(model, `.tmp-${DEAD_PID}-89ab-aliases.json`), '{"cham');
      await registry.ping();
      expect(await readdir(model)).toEqual([`.tmp-${process.pid}-4567-version`]);
    });

    it('breaks an alias lock left by a dead process', async () => {
      await registry.register(input('m'));
      const lock = { pid: DEAD_PID, host: hostname(), token: 'old', at: Date.now() };
      await writeFile(join(root, 'm', 'aliases.lock'), JSON.stringify(lock));
      await registry.setAlias('m', 'champion', '1');
      expect(await registry.aliases('m')).toEqual({ champion: '1' });
      expect(await readdir(join(root, 'm'))).not.toContain('aliases.lock');
    });

    it('waits for a live holder, then fails with E_REGISTRY_UNAVAILABLE; breaks the lock once it is stale', async () => {
      const impatient = new FileRegistry({ root, lockWaitMs: 50, lockStaleMs: 60_000 });
      await impatient.register(input('m'));
      const path = join(root, 'm', 'aliases.lock');
      await writeFile(path, JSON.stringify({ pid: process.ppid, host: hostname(), token: 'live', at: Date.now() }));
      const error = await expectCode(impatient.setAlias('m', 'champion', '1'), 'E_REGISTRY_UNAVAILABLE');
      expect(error.message).toContain(`pid ${process.ppid}`);
      await writeFile(
        path,
        JSON.stringify({ pid: process.ppid, host: hostname(), token: 'live', at: Date.now() - 61_000 }),
      );
      await impatient.setAlias('m', 'champion', '1');
      expect(await impatient.aliases('m')).toEqual({ champion: '1' });
      await impatient.close();
    });

    it('fails with E_REGISTRY_UNAVAILABLE when the root is unusable or the registry is closed', async () => {
      const file = join(root, 'a-file');
      await writeFile(file, 'x');
      const broken = new FileRegistry({ root: join(file, 'below') });
      await expectCode(broken.ping(), 'E_REGISTRY_UNAVAILABLE');
      await expectCode(broken.register(input('m')), 'E_REGISTRY_UNAVAILABLE');
      await registry.close();
      await expectCode(registry.ping(), 'E_REGISTRY_UNAVAILABLE');
      await expectCode(registry.get('m', '1'), 'E_REGISTRY_UNAVAILABLE');
    });
  });

  describe('two registry objects on one root', () => {
    async function promoteRace(a: ModelRegistry, b: ModelRegistry): Promise<string[]> {
      const results = await Promise.allSettled([
        a.setAlias('m', 'champion', '2', { expected: '1' }),
        b.setAlias('m', 'champion', '3', { expected: '1' }),
      ]);
      for (const result of results) {
        if (result.status === 'rejected') expect(isDissonanceError(result.reason, 'E_REGISTRY_CONFLICT')).toBe(true);
      }
      return results.flatMap((result, i) => (result.status === 'fulfilled' ? [i === 0 ? '2' : '3'] : []));
    }

    it('lets exactly one of two compare-and-set promotions from the same version win', async () => {
      const other = new FileRegistry({ root });
      for (let i = 0; i < 3; i++) await registry.register(input('m'));
      for (let round = 0; round < 5; round++) {
        await registry.setAlias('m', 'champion', '1');
        const won = await promoteRace(registry, other);
        expect(won).toHaveLength(1);
        expect((await other.resolve('m', 'champion')).version).toBe(won[0]);
      }
      await other.close();
    });

    it('loses no update when both keep moving an alias up by compare-and-set', async () => {
      const other = new FileRegistry({ root });
      const top = 30;
      for (let i = 0; i < top; i++) await registry.register(input('m'));
      await registry.setAlias('m', 'champion', '1');
      const climb = async (r: ModelRegistry): Promise<number> => {
        let wins = 0;
        for (;;) {
          const current = (await r.resolve('m', 'champion')).version;
          if (Number(current) >= top) return wins;
          try {
            await r.setAlias('m', 'champion', String(Number(current) + 1), { expected: current });
            wins++;
          } catch (error) {
            if (!isDissonanceError(error, 'E_REGISTRY_CONFLICT')) throw error;
          }
        }
      };
      const [a, b] = await Promise.all([climb(registry), climb(other)]);
      expect(a + b).toBe(top - 1);
      await other.close();
    });

    it('numbers concurrent registers without gaps or duplicates', async () => {
      const other = new FileRegistry({ root });
      const all = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? registry : other).register(input('m', new Uint8Array([i + 1]))),
        ),
      );
      expect(all.map((m) => Number(m.version)).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      for (const manifest of all) {
        expect([...(await other.fetch('m', manifest.version)).artifact.bytes]).toHaveLength(1);
      }
      await other.close();
    });
  });
});
