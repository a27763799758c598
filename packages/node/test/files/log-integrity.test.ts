import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EnvelopeCipher,
  generateEncryptionKey,
  staticKeyProvider,
  type DissonanceError,
  type TrainingExample,
} from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { FileStore } from '../../src/files/file-store.js';
import { examplesLine } from '../../src/files/example-record.js';
import { FileDedupStore } from '../../src/worker/file-dedup-store.js';
import { killHard, startChild } from './fixtures/child-process.js';
import { batchExample } from './fixtures/store-batches.js';
import { tempDir } from './fixtures/temp-dir.js';

const keys = staticKeyProvider([['k1', generateEncryptionKey()]]);

function example(id: string): TrainingExample {
  return { ...batchExample(0, 0), id, provenance: { ...batchExample(0, 0).provenance, itemId: id } };
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).trimEnd().split('\n');
}

async function writeLines(path: string, content: readonly string[]): Promise<void> {
  await writeFile(path, content.length === 0 ? '' : `${content.join('\n')}\n`);
}

describe('tamper-evident store logs', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });
  async function dir(): Promise<string> {
    const made = await tempDir('log-integrity');
    dirs.push(made);
    return made.path;
  }

  async function auditStore(path: string, n: number, encrypted: boolean): Promise<void> {
    const store = await FileStore.open({ dir: path, ...(encrypted ? { encryption: keys } : {}) });
    for (let i = 0; i < n; i++) await store.appendAudit({ at: i, who: 'test', action: `a${i}` });
    await store.close();
  }

  it('a flipped byte inside the last acknowledged line of a plaintext log is E_STORE_INTEGRITY, not a torn tail', async () => {
    const path = await dir();
    await auditStore(path, 3, false);
    const file = join(path, 'audit.log');
    const content = await lines(file);
    // "a2" → "a3": still valid JSON, still a valid audit entry; only the chain tells.
    content[2] = content[2]!.replace('"action":"a2"', '"action":"a3"');
    await writeLines(file, content);
    const before = await readFile(file);
    const error = (await expectCode(FileStore.open({ dir: path }), 'E_STORE_INTEGRITY')) as DissonanceError;
    expect(error.details).toMatchObject({ path: file, record: 3 });
    expect(await readFile(file)).toEqual(before); // nothing was cut off

    // A flip that breaks the JSON of the last line is refused too, where it used to be cut off.
    content[2] = content[2]!.replace('"action":"a3"', '"action":"a2"').replace('}', ']');
    await writeLines(file, content);
    const broken = (await expectCode(FileStore.open({ dir: path }), 'E_STORE_INTEGRITY')) as DissonanceError;
    expect(broken.details).toMatchObject({ path: file, record: 3 });
    expect((await lines(file))[2]).toBe(content[2]);
  });

  it.each([
    ['deleting the first record', (l: string[]) => l.slice(1), 1],
    ['deleting a middle record', (l: string[]) => [l[0]!, l[2]!, l[3]!], 2],
    ['deleting the last record', (l: string[]) => l.slice(0, 3), 4],
    ['reordering two records', (l: string[]) => [l[0]!, l[2]!, l[1]!, l[3]!], 2],
    ['duplicating a record', (l: string[]) => [l[0]!, l[1]!, l[1]!, l[2]!, l[3]!], 3],
  ])('in an encrypted audit.log, %s is E_STORE_INTEGRITY naming the record', async (_label, tamper, record) => {
    const path = await dir();
    await auditStore(path, 4, true);
    const file = join(path, 'audit.log');
    await writeLines(file, tamper(await lines(file)));
    const error = (await expectCode(
      FileStore.open({ dir: path, encryption: keys }),
      'E_STORE_INTEGRITY',
    )) as DissonanceError;
    expect(error.details).toMatchObject({ path: file, record });
    expect(error.message).toContain(`${file} record ${record}`);
  });

  it('anchors appends in the background: after a SIGKILL, cutting off the last acknowledged records is still seen', async () => {
    const path = await dir();
    const child = startChild('lock-child.ts', ['hold', path]);
    try {
      await child.line(/^opened$/);
      for (let i = 1; i <= 3; i++) {
        child.send('write');
        for (let tries = 0; child.lines.filter((line) => line === 'wrote').length < i; tries++) {
          if (tries > 2000) throw new Error(`write ${i} was never acknowledged: ${child.stderr()}`);
          await sleep(10);
        }
      }
      // Wait (bounded) until the head file anchors all three records, as it must within a second or so.
      const head = join(path, 'audit.log.head');
      for (
        let tries = 0;
        (JSON.parse(await readFile(head, 'utf8')) as { accept: { seq: number }[] }).accept[0]?.seq !== 3;
        tries++
      ) {
        if (tries > 200) throw new Error('the appends were never anchored');
        await sleep(25);
      }
    } finally {
      await killHard(child);
    }
    const file = join(path, 'audit.log');
    await writeLines(file, (await lines(file)).slice(0, 2));
    const error = (await expectCode(FileStore.open({ dir: path }), 'E_STORE_INTEGRITY')) as DissonanceError;
    expect(error.details).toMatchObject({ path: file, record: 3 });
    expect(error.message).toContain('deleted from the end');
  });

  it('a missing head file of a chained log is E_STORE_INTEGRITY naming it', async () => {
    const path = await dir();
    await auditStore(path, 2, true);
    await rm(join(path, 'audit.log.head'));
    const error = await expectCode(FileStore.open({ dir: path, encryption: keys }), 'E_STORE_INTEGRITY');
    expect(error.message).toContain('audit.log.head');
  });

  it('opens logs written without the chain (previous release), and covers them from the first new record on', async () => {
    const path = await dir();
    const cipher = new EnvelopeCipher(keys);
    const legacyAudit = [0, 1, 2].map((i) => JSON.stringify({ at: i, who: 'old', action: `old${i}` }));
    const sealed = await Promise.all(legacyAudit.map((line) => cipher.sealText(line)));
    await writeLines(join(path, 'audit.log'), sealed);
    await writeLines(join(path, 'examples.log'), [await cipher.sealText(examplesLine([example('old')]))]);

    const store = await FileStore.open({ dir: path, encryption: keys });
    expect((await store.audit()).map((entry) => entry.action)).toEqual(['old0', 'old1', 'old2']);
    await store.appendAudit({ at: 3, who: 'new', action: 'new3' });
    await store.appendExamples([example('new')]);
    await store.close();
    const file = join(path, 'audit.log');
    const written = await lines(file);
    expect(written.slice(0, 3)).toEqual(sealed); // old records are left as they were, in the old format

    const again = await FileStore.open({ dir: path, encryption: keys });
    expect((await again.audit()).map((entry) => entry.action)).toEqual(['old0', 'old1', 'old2', 'new3']);
    expect((await again.examples()).map((e) => e.id)).toEqual(['old', 'new']);
    await again.close();

    // Deleting an old record is now seen: the chain's seed covers the bytes before it.
    await writeLines(file, [written[0]!, written[2]!, written[3]!]);
    const error = (await expectCode(
      FileStore.open({ dir: path, encryption: keys }),
      'E_STORE_INTEGRITY',
    )) as DissonanceError;
    expect(error.details).toMatchObject({ path: file, record: 3 });
  });

  it('a legacy line inserted after chained records is E_STORE_INTEGRITY', async () => {
    const path = await dir();
    await auditStore(path, 2, false);
    const file = join(path, 'audit.log');
    const content = await lines(file);
    await writeLines(file, [content[0]!, JSON.stringify({ at: 9, who: 'x', action: 'forged' }), content[1]!]);
    const error = (await expectCode(FileStore.open({ dir: path }), 'E_STORE_INTEGRITY')) as DissonanceError;
    expect(error.details).toMatchObject({ path: file, record: 2 });
  });

  it('survives compaction: the compacted log opens and tampering with it is still seen', async () => {
    const path = await dir();
    const store = await FileStore.open({ dir: path, capacity: 2, encryption: keys });
    for (let i = 0; i < 9; i++) await store.appendExamples([example(`e${i}`)]);
    await store.close();
    const again = await FileStore.open({ dir: path, capacity: 2, encryption: keys });
    expect((await again.examples()).map((e) => e.id)).toEqual(['e7', 'e8']);
    await again.close();
    const file = join(path, 'examples.log');
    const content = await lines(file);
    expect(content.length).toBeGreaterThan(1);
    await writeLines(file, content.slice(1));
    await expectCode(FileStore.open({ dir: path, capacity: 2, encryption: keys }), 'E_STORE_INTEGRITY');
  });
});

describe('tamper-evident dedup log', () => {
  it('a deleted, reordered or duplicated mark is E_STORE_INTEGRITY; a legacy log still opens', async () => {
    const made = await tempDir('dedup-integrity');
    try {
      const file = join(made.path, 'dedup.log');
      await writeLines(file, ['legacy-1\t9999999999999']);
      const store = await FileDedupStore.open({ dir: made.path });
      expect(await store.has('legacy-1')).toBe(true);
      for (const id of ['a', 'b', 'c']) await store.mark(id, 60_000);
      await store.close();
      const content = await lines(file);
      expect(content).toHaveLength(4);
      for (const [tampered, record] of [
        [[content[0]!, content[2]!, content[3]!], 2],
        [[content[0]!, content[1]!, content[3]!, content[2]!], 3],
        [[...content, content[3]!], 5],
        [content.slice(0, 3), 4],
      ] as const) {
        await writeLines(file, tampered);
        const error = (await expectCode(
          FileDedupStore.open({ dir: made.path }),
          'E_STORE_INTEGRITY',
        )) as DissonanceError;
        expect(error.details).toMatchObject({ path: file, record });
      }
      await writeLines(file, content);
      const again = await FileDedupStore.open({ dir: made.path });
      expect(again.size).toBe(4);
      await again.close();
    } finally {
      await made.remove();
    }
  });
});
