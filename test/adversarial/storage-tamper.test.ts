/**
 * Adversarial suite, storage part (issue 20, item 6): every append-only file the file store and the file
 * dedup store write, plaintext and encrypted, has whole records deleted (first, middle, last), reordered,
 * duplicated, altered, or an unchained record inserted. Each open must fail with a typed error naming the
 * file and the first bad record, and must leave the file as it found it (nothing cut off as a "torn tail").
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEncryptionKey, isDissonanceError, staticKeyProvider, type KeyProvider } from '@dissonance/core';
import { FileDedupStore, FileStore } from '@dissonance/node';

const keys = staticKeyProvider([['adv', generateEncryptionKey()]]);
const RECORDS = 5;

interface Target {
  /** Label of the file under attack. */
  readonly label: string;
  /** The file's name in the directory. */
  readonly file: string;
  /** Writes RECORDS records through the public API and closes. */
  write(dir: string): Promise<void>;
  /** Opens it again (the attempt under test). */
  open(dir: string): Promise<unknown>;
}

function storeTarget(file: 'audit.log' | 'examples.log', encryption: KeyProvider | undefined): Target {
  const options = (dir: string): { dir: string; encryption?: KeyProvider } => ({
    dir,
    ...(encryption === undefined ? {} : { encryption }),
  });
  return {
    label: `${encryption === undefined ? 'plaintext' : 'encrypted'} ${file}`,
    file,
    async write(dir) {
      const store = await FileStore.open(options(dir));
      for (let i = 0; i < RECORDS; i++) {
        if (file === 'audit.log') await store.appendAudit({ at: i, who: 'adversary-test', action: `step-${i}` });
        else {
          await store.appendExamples([
            {
              id: `ex-${i}`,
              x: Float32Array.of(i, i + 0.5),
              target: { kind: 'hard', label: i % 2 },
              weight: 1,
              provenance: { itemId: `ex-${i}`, origin: 'oracle', dissonance: 0.2, proposerVersion: '1', at: i },
            },
          ]);
        }
      }
      await store.close();
    },
    async open(dir) {
      const store = await FileStore.open(options(dir));
      await store.close();
    },
  };
}

const dedupTarget: Target = {
  label: 'dedup.log',
  file: 'dedup.log',
  async write(dir) {
    const store = await FileDedupStore.open({ dir });
    for (let i = 0; i < RECORDS; i++) await store.mark(`envelope-${i}`, 3_600_000);
    await store.close();
  },
  async open(dir) {
    const store = await FileDedupStore.open({ dir });
    await store.close();
  },
};

const TARGETS: Target[] = [
  storeTarget('audit.log', undefined),
  storeTarget('examples.log', undefined),
  storeTarget('audit.log', keys),
  storeTarget('examples.log', keys),
  dedupTarget,
];

/** An attack on the lines of a file, and the 1-based record the error must name. */
interface Attack {
  readonly label: string;
  tamper(lines: string[]): string[];
  readonly record: number;
}

const ATTACKS: Attack[] = [
  { label: 'delete the first record', tamper: (l) => l.slice(1), record: 1 },
  { label: 'delete a middle record', tamper: (l) => [...l.slice(0, 2), ...l.slice(3)], record: 3 },
  { label: 'delete the last record', tamper: (l) => l.slice(0, -1), record: RECORDS },
  { label: 'delete the last two records', tamper: (l) => l.slice(0, -2), record: RECORDS - 1 },
  { label: 'swap two records', tamper: (l) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)], record: 2 },
  { label: 'move the last record first', tamper: (l) => [l[l.length - 1]!, ...l.slice(0, -1)], record: 1 },
  { label: 'duplicate a record', tamper: (l) => [...l.slice(0, 2), l[1]!, ...l.slice(2)], record: 3 },
  { label: 'duplicate the last record', tamper: (l) => [...l, l[l.length - 1]!], record: RECORDS + 1 },
  { label: 'replace the file with its first two records', tamper: (l) => l.slice(0, 2), record: 3 },
];

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dissonance-adv-storage-'));
  dirs.push(dir);
  return dir;
}

async function expectRefused(target: Target, dir: string, codes: readonly string[], record?: number): Promise<void> {
  const path = join(dir, target.file);
  const before = await readFile(path);
  let caught: unknown;
  try {
    await target.open(dir);
  } catch (error) {
    caught = error;
  }
  expect(isDissonanceError(caught), `open after tampering must fail with a typed error, got ${String(caught)}`).toBe(
    true,
  );
  if (!isDissonanceError(caught)) return;
  expect(codes).toContain(caught.code);
  expect(caught.message).toContain(path);
  if (record !== undefined && caught.code === 'E_STORE_INTEGRITY')
    expect(caught.details).toMatchObject({ path, record });
  expect(await readFile(path)).toEqual(before); // nothing was cut off or rewritten
}

describe.each(TARGETS)('tampering with $label', (target) => {
  it.each(ATTACKS)('$label: E_STORE_INTEGRITY naming the record', async ({ tamper, record }) => {
    const dir = await freshDir();
    await target.write(dir);
    const path = join(dir, target.file);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(RECORDS);
    await writeFile(path, `${tamper(lines).join('\n')}\n`);
    await expectRefused(target, dir, ['E_STORE_INTEGRITY'], record);
  });

  it('a flipped byte inside the last acknowledged record: refused, never cut off', async () => {
    const dir = await freshDir();
    await target.write(dir);
    const path = join(dir, target.file);
    const bytes = await readFile(path);
    const at = bytes.length - 8; // inside the last line, before its newline
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    await writeFile(path, bytes);
    // Encrypted records do not authenticate (E_DECRYPT); plaintext ones break the chain or the record.
    await expectRefused(target, dir, ['E_STORE_INTEGRITY', 'E_DECRYPT']);
  });

  it('the head file deleted: refused, naming it', async () => {
    const dir = await freshDir();
    await target.write(dir);
    await rm(join(dir, `${target.file}.head`));
    await expectRefused(target, dir, ['E_STORE_INTEGRITY']);
  });

  it('untouched, it opens again (the attacks above are what fails)', async () => {
    const dir = await freshDir();
    await target.write(dir);
    await target.open(dir);
    await target.open(dir);
  });
});
