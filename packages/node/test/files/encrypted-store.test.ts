import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateEncryptionKey, staticKeyProvider, type KeyProvider, type TrainingExample } from '@dissonance/core';
import { expectCode, storeContract } from '@dissonance/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/files/file-store.js';
import { SECRET_FEATURES, leaks, rawFiles } from '../security/plaintext-scan.js';
import { tempDir } from './fixtures/temp-dir.js';

const K1 = generateEncryptionKey();
const K2 = generateEncryptionKey();
const keys: KeyProvider = staticKeyProvider([['k1', K1]]);

storeContract('file (encrypted)', async ({ capacity }) => {
  const dir = await tempDir('store-enc');
  return {
    store: await FileStore.open({ dir: dir.path, capacity, encryption: keys }),
    reopen: () => FileStore.open({ dir: dir.path, capacity, encryption: keys }),
    cleanup: dir.remove,
  };
});

function example(id: string, x: Float32Array = SECRET_FEATURES): TrainingExample {
  return {
    id,
    x,
    target: { kind: 'soft', probs: Float32Array.of(0.25, 0.75) },
    weight: 1,
    provenance: { itemId: id, origin: 'oracle', dissonance: 0.3, proposerVersion: '1', at: 1_700_000_000_000 },
  };
}

async function fill(store: FileStore, ids: string[]): Promise<void> {
  await store.appendExamples(ids.map((id) => example(id)));
  await store.setValue('policy', { dTarget: 0.12, lastFeatures: Array.from(SECRET_FEATURES) });
  await store.appendAudit({
    at: 1,
    who: 'test',
    action: 'policy.update',
    after: { features: Array.from(SECRET_FEATURES) },
  });
}

describe('FileStore with encryption at rest', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });
  async function dir(): Promise<string> {
    const made = await tempDir('store-enc');
    dirs.push(made);
    return made.path;
  }

  it('no file holds the feature values in plaintext (the same scan finds them in a plaintext store)', async () => {
    const plainDir = await dir();
    const plain = await FileStore.open({ dir: plainDir });
    await fill(plain, ['a', 'b']);
    await plain.close();
    expect(leaks(await rawFiles(plainDir), SECRET_FEATURES).length).toBeGreaterThan(0);

    const encDir = await dir();
    const store = await FileStore.open({ dir: encDir, encryption: keys, capacity: 2 });
    await fill(store, ['a', 'b', 'c', 'd', 'e']); // capacity 2: the log is also compacted (re-encrypted)
    await store.close();
    const files = await rawFiles(encDir);
    expect(files.map((f) => f.path).some((p) => p.endsWith('examples.log'))).toBe(true);
    expect(leaks(files, SECRET_FEATURES)).toEqual([]);
    for (const file of files.filter((f) => f.path.endsWith('.log'))) {
      for (const line of file.bytes.toString('utf8').trimEnd().split('\n'))
        expect(line).toMatch(/^RFNOQwE[A-Za-z0-9+/=]+$/);
    }
    const again = await FileStore.open({ dir: encDir, encryption: keys, capacity: 2 });
    expect((await again.examples()).map((e) => [e.id, Array.from(e.x)])).toEqual([
      ['d', Array.from(SECRET_FEATURES)],
      ['e', Array.from(SECRET_FEATURES)],
    ]);
    expect(await again.getValue('policy')).toEqual({ dTarget: 0.12, lastFeatures: Array.from(SECRET_FEATURES) });
    expect(await again.audit()).toHaveLength(1);
    await again.close();
  });

  it('after a key rotation new records use the new key and old ones stay readable by their key id', async () => {
    const path = await dir();
    const before = await FileStore.open({ dir: path, encryption: staticKeyProvider([['k1', K1]]) });
    await before.appendExamples([example('old')]);
    await before.close();
    const rotated = staticKeyProvider([
      ['k2', K2],
      ['k1', K1],
    ]);
    const after = await FileStore.open({ dir: path, encryption: rotated });
    await after.appendExamples([example('new')]);
    await after.close();
    const lines = (await readFile(join(path, 'examples.log'), 'utf8')).trimEnd().split('\n');
    const keyIds = lines.map((line) => Buffer.from(line, 'base64').subarray(6, 8).toString('utf8'));
    expect(keyIds).toEqual(['k1', 'k2']);
    const reopened = await FileStore.open({ dir: path, encryption: rotated });
    expect((await reopened.examples()).map((e) => e.id)).toEqual(['old', 'new']);
    await reopened.close();
    // Once the old key is dropped, its records cannot be read: a clear E_DECRYPT, nothing cut off.
    await expectCode(FileStore.open({ dir: path, encryption: staticKeyProvider([['k2', K2]]) }), 'E_DECRYPT');
    expect((await readFile(join(path, 'examples.log'), 'utf8')).trimEnd().split('\n')).toEqual(lines);
  });

  it.each([['examples.log'], ['audit.log'], ['values.json']])(
    'a flipped ciphertext byte in %s is E_DECRYPT, and the file is left as it was',
    async (file) => {
      const path = await dir();
      const store = await FileStore.open({ dir: path, encryption: keys });
      await fill(store, ['a']);
      await store.appendExamples([example('z')]);
      await store.close();
      const target = join(path, file);
      const text = await readFile(target, 'utf8');
      const lines = text.trimEnd().split('\n');
      const last = Buffer.from(lines[lines.length - 1]!, 'base64');
      last[last.length - 20] = (last[last.length - 20] ?? 0) ^ 0x01;
      lines[lines.length - 1] = last.toString('base64');
      const damaged = `${lines.join('\n')}\n`;
      await writeFile(target, damaged);
      const error = await expectCode(FileStore.open({ dir: path, encryption: keys }), 'E_DECRYPT');
      expect(error.message).toContain(file);
      // The tail was not taken for a torn write and cut off.
      expect(await readFile(target, 'utf8')).toBe(damaged);
    },
  );

  it('refuses to open an encrypted store without keys, and a plaintext store with keys', async () => {
    const encrypted = await dir();
    const store = await FileStore.open({ dir: encrypted, encryption: keys });
    await fill(store, ['a']);
    await store.close();
    await expectCode(FileStore.open({ dir: encrypted }), 'E_DECRYPT');
    const plain = await dir();
    const plainStore = await FileStore.open({ dir: plain });
    await fill(plainStore, ['a']);
    await plainStore.close();
    await expectCode(FileStore.open({ dir: plain, encryption: keys }), 'E_DECRYPT');
  });
});
