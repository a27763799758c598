import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainingExample } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { FileStore } from '../../src/files/file-store.js';
import { batchExample } from './fixtures/store-batches.js';
import { tempDir } from './fixtures/temp-dir.js';

const DEAD_PID = 99_999_999;

function example(id: string): TrainingExample {
  return { ...batchExample(0, 0), id, provenance: { ...batchExample(0, 0).provenance, itemId: id } };
}

describe('FileStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const open: FileStore[] = [];

  async function openStore(capacity = 100): Promise<FileStore> {
    const store = await FileStore.open({ dir, capacity });
    open.push(store);
    return store;
  }

  beforeEach(async () => {
    ({ path: dir, remove } = await tempDir('file-store'));
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    await remove();
  });

  it('lays out examples.log, values.json, audit.log and a lock held while open', async () => {
    const store = await openStore();
    await store.appendExamples([example('a'), example('b')]);
    await store.setValue('policy', { dTarget: 0.1 });
    await store.appendAudit({ at: 1, who: 'system', action: 'policy.update' });
    expect((await readdir(dir)).sort()).toEqual([
      'audit.log',
      'audit.log.head',
      'examples.log',
      'examples.log.head',
      'store.lock',
      'values.json',
    ]);
    const lines = (await readFile(join(dir, 'examples.log'), 'utf8')).split('\n');
    expect(lines).toHaveLength(2); // one line per appended batch, then the final newline
    expect(JSON.parse(await readFile(join(dir, 'values.json'), 'utf8'))).toEqual({ policy: { dTarget: 0.1 } });
    await store.close();
    expect(await readdir(dir)).not.toContain('store.lock');
  });

  describe('torn tails', () => {
    it.each([
      ['an incomplete last line', '{"examples":[{"id":"zz","x":"AAAA'],
      ['zeros from a lost block', '\0\0\0\0\0\0\0\0\0\0\0\0'],
      ['a complete last line with a lost block inside', '#1 2 \0\0\0\0\0\0\0\0\0\0\0\0"}]}\n'],
    ])('cuts off %s and keeps everything before it', async (_label, tail) => {
      const store = await openStore();
      await store.appendExamples([example('a')]);
      await store.appendExamples([example('b')]);
      await store.appendAudit({ at: 1, who: 'system', action: 'one' });
      await store.close();
      const examplesSize = (await stat(join(dir, 'examples.log'))).size;
      const auditSize = (await stat(join(dir, 'audit.log'))).size;
      await appendFile(join(dir, 'examples.log'), tail);
      await appendFile(join(dir, 'audit.log'), tail.replace('examples', 'at'));

      const again = await openStore();
      expect((await again.examples()).map((e) => e.id)).toEqual(['a', 'b']);
      expect(await again.audit()).toEqual([{ at: 1, who: 'system', action: 'one' }]);
      expect((await stat(join(dir, 'examples.log'))).size).toBe(examplesSize);
      expect((await stat(join(dir, 'audit.log'))).size).toBe(auditSize);
      await again.appendExamples([example('c')]);
      await again.appendAudit({ at: 2, who: 'system', action: 'two' });
      await again.close();

      const third = await openStore();
      expect((await third.examples()).map((e) => e.id)).toEqual(['a', 'b', 'c']);
      expect((await third.audit()).map((e) => e.at)).toEqual([1, 2]);
    });

    it.each([
      ['a garbage line and an incomplete one', 'garbage\n{"exam'],
      ['a complete line that is not a record', '{"examples":[]}\n'],
    ])(
      'refuses %s at the tail with E_STORE_INTEGRITY, cutting nothing: a crash cannot write a whole line',
      async (_label, tail) => {
        const store = await openStore();
        await store.appendExamples([example('a')]);
        await store.close();
        const path = join(dir, 'examples.log');
        await appendFile(path, tail);
        const before = await readFile(path);
        const error = await expectCode(FileStore.open({ dir, capacity: 10 }), 'E_STORE_INTEGRITY');
        expect(error.message).toContain(`${path} record 2`);
        expect(await readFile(path)).toEqual(before);
      },
    );

    it('fails with E_STORE_INTEGRITY naming the file and record when damage is followed by valid records', async () => {
      const store = await openStore();
      await store.appendExamples([example('a')]);
      await store.close();
      const path = join(dir, 'examples.log');
      const line = await readFile(path, 'utf8');
      await writeFile(path, `${line}not a record\n${line}`);
      const error = await expectCode(FileStore.open({ dir, capacity: 10 }), 'E_STORE_INTEGRITY');
      expect(error.message).toContain(`${path} record 2`);
      // The failed open released the lock: fixing the file makes the store usable again.
      await writeFile(path, line);
      expect(await (await openStore()).countExamples()).toBe(1);
    });

    it('fails with E_STORE naming values.json when it is damaged', async () => {
      await writeFile(join(dir, 'values.json'), '{"policy": ');
      const error = await expectCode(FileStore.open({ dir }), 'E_STORE');
      expect(error.message).toContain(join(dir, 'values.json'));
    });
  });

  describe('capacity and compaction', () => {
    it('rewrites the log once it holds more than twice the capacity, keeping the buffer', async () => {
      const store = await openStore(3);
      for (let i = 0; i < 20; i++) await store.appendExamples([example(`e${i}`)]);
      expect((await store.examples()).map((e) => e.id)).toEqual(['e17', 'e18', 'e19']);
      const lines = (await readFile(join(dir, 'examples.log'), 'utf8')).trimEnd().split('\n');
      expect(lines.length).toBeLessThanOrEqual(2 * 3 + 1);
      await store.close();
      expect((await (await openStore(3)).examples()).map((e) => e.id)).toEqual(['e17', 'e18', 'e19']);
    });

    it('compacts on open when the log is too long for a smaller capacity', async () => {
      const store = await openStore(100);
      for (let i = 0; i < 10; i++) await store.appendExamples([example(`e${i}`)]);
      await store.close();
      const small = await openStore(2);
      expect((await small.examples()).map((e) => e.id)).toEqual(['e8', 'e9']);
      expect((await readFile(join(dir, 'examples.log'), 'utf8')).trimEnd().split('\n')).toHaveLength(1);
    });

    it('replays replacements: an id appended again is the newest, once', async () => {
      const store = await openStore(3);
      await store.appendExamples([example('a'), example('b'), example('c')]);
      await store.appendExamples([example('a')]);
      await store.close();
      expect((await (await openStore(3)).examples()).map((e) => e.id)).toEqual(['b', 'c', 'a']);
    });
  });

  describe('one process at a time', () => {
    it('refuses a second open of the same directory while the first is open', async () => {
      const first = await openStore();
      const error = await expectCode(FileStore.open({ dir }), 'E_STORE');
      expect(error.message).toContain(`pid ${process.pid}`);
      await first.close();
      await openStore();
    });

    it('takes over a lock left by a dead process', async () => {
      await writeFile(join(dir, 'store.lock'), JSON.stringify({ pid: DEAD_PID, host: hostname(), token: 't', at: 0 }));
      const store = await openStore();
      await store.setValue('k', 1);
      expect(await store.getValue('k')).toBe(1);
    });

    it('takes over a lock with its own pid that it does not hold (a restarted container)', async () => {
      await writeFile(
        join(dir, 'store.lock'),
        JSON.stringify({ pid: process.pid, host: hostname(), token: 'old', at: 0 }),
      );
      await openStore();
    });
  });

  describe('inputs and lifecycle', () => {
    it('rejects bad input with E_INPUT and writes nothing', async () => {
      const store = await openStore();
      const bad = { ...example('x'), x: new Float32Array([Number.NaN]) };
      await expectCode(store.appendExamples([example('ok'), bad]), 'E_INPUT');
      await expectCode(store.setValue('k', { n: Number.POSITIVE_INFINITY } as never), 'E_INPUT');
      await expectCode(store.setValue('', 1), 'E_INPUT');
      await expectCode(store.appendAudit({ at: 1, who: '', action: 'x' }), 'E_INPUT');
      await expectCode(store.examples(-1), 'E_INPUT');
      expect(await store.countExamples()).toBe(0);
      await store.close();
      const again = await openStore();
      expect(await again.countExamples()).toBe(0);
      expect(await again.getValue('k')).toBeUndefined();
      expect(await again.audit()).toEqual([]);
    });

    it('validates its options with E_CONFIG', async () => {
      await expectCode(FileStore.open({ dir, capacity: 0 }), 'E_CONFIG');
      await expectCode(FileStore.open({ dir: '' }), 'E_CONFIG');
    });

    it('finishes calls made before close, rejects later ones with E_STORE', async () => {
      const store = await openStore();
      const pending = store.appendExamples([example('a')]);
      await store.close();
      await pending;
      await expectCode(store.countExamples(), 'E_STORE');
      await expectCode(store.appendExamples([example('b')]), 'E_STORE');
      await store.close();
      expect((await (await openStore()).examples()).map((e) => e.id)).toEqual(['a']);
    });

    it('keeps a value named __proto__ as data', async () => {
      const store = await openStore();
      await store.setValue('__proto__', { polluted: true });
      await store.close();
      const again = await openStore();
      expect(await again.getValue('__proto__')).toEqual({ polluted: true });
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it('fails with E_STORE when the directory cannot be created', async () => {
      await writeFile(join(dir, 'file'), 'x');
      await expectCode(FileStore.open({ dir: join(dir, 'file', 'below') }), 'E_STORE');
    });
  });
});
