import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncDirectory, writeFileAtomic } from '../../src/files/atomic-write.js';
import { tempDir } from './fixtures/temp-dir.js';

describe('writeFileAtomic', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ path: dir, remove } = await tempDir('atomic'));
  });

  afterEach(() => remove());

  it('creates and replaces a file, leaving no temporary file behind', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, '{"v":1}');
    await writeFileAtomic(path, new Uint8Array([123, 125]));
    expect(await readFile(path, 'utf8')).toBe('{}');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('keeps every reader on a whole version while writers race', async () => {
    const path = join(dir, 'race.txt');
    const contents = Array.from({ length: 20 }, (_, i) => String(i).repeat(10_000));
    await writeFileAtomic(path, contents[0] ?? '');
    const reads: Array<Promise<string>> = [];
    const writes = contents.map((text) => writeFileAtomic(path, text));
    for (let i = 0; i < 50; i++) reads.push(readFile(path, 'utf8'));
    await Promise.all(writes);
    for (const text of await Promise.all(reads)) expect(contents).toContain(text);
    expect(await readdir(dir)).toEqual(['race.txt']);
  });

  it('fails when the directory does not exist, leaving nothing', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'x')).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('syncs a directory', async () => {
    await expect(syncDirectory(dir)).resolves.toBeUndefined();
  });
});
