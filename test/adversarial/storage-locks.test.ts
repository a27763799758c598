/**
 * Adversarial suite, storage part (issue 20, item 7): foreign, reused, bogus and contended `store.lock` files.
 * A store must never be blocked forever by a lock whose holder is gone, must never be taken from a holder
 * that keeps its lease, and must name the lock, its holder and the recovery command when it refuses.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDissonanceError } from '@dissonance/core';
import { FileStore } from '@dissonance/node';
import { runCliAsync } from '../../packages/cli/src/run-cli.js';

const FOREIGN = 'node-that-was-drained';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dissonance-adv-locks-'));
  dirs.push(dir);
  return dir;
}

/** Plants `store.lock` with `content`, last modified at `mtime`. */
async function plant(dir: string, content: string, mtime: Date): Promise<string> {
  const path = join(dir, 'store.lock');
  await writeFile(path, content);
  await utimes(path, mtime, mtime);
  return path;
}

function owner(fields: { pid: number; host: string; lease?: number; at?: number }): string {
  return JSON.stringify({ token: 'planted', at: fields.at ?? Date.now() - 3_600_000, ...fields });
}

const ago = (ms: number): Date => new Date(Date.now() - ms);

async function opens(dir: string): Promise<boolean> {
  const store = await FileStore.open({ dir });
  await store.appendAudit({ at: 1, who: 'adversarial', action: 'opened' });
  await store.close();
  return true;
}

async function refusal(dir: string): Promise<{ code: string; message: string }> {
  try {
    const store = await FileStore.open({ dir });
    await store.close();
  } catch (error) {
    if (isDissonanceError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the store opened');
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCliAsync(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('foreign and stale store locks', () => {
  it.each([
    ['an expired lease of another host', owner({ pid: 1, host: FOREIGN, lease: 30_000 }), ago(120_000)],
    [
      'an expired lease naming a live pid of this host (reused)',
      owner({ pid: process.ppid, host: hostname(), lease: 30_000 }),
      ago(120_000),
    ],
    [
      'an absurd lease (clamped to the maximum) not refreshed for 11 minutes',
      owner({ pid: 1, host: FOREIGN, lease: 1e15 }),
      ago(11 * 60_000),
    ],
    [
      'a lease "refreshed" in the year 2100 (a bogus clock)',
      owner({ pid: 1, host: FOREIGN, lease: 30_000 }),
      new Date('2100-01-01T00:00:00Z'),
    ],
    ['a dead pid of this host without a lease', owner({ pid: 99_999_999, host: hostname() }), ago(0)],
    ['an unreadable lock file, old', '{"pid": 12', ago(60_000)],
  ])('%s is taken over on open', async (_label, content, mtime) => {
    const dir = await freshDir();
    await plant(dir, content, mtime);
    expect(await opens(dir)).toBe(true);
  });

  it.each([
    [
      'a lock of another host without a lease',
      owner({ pid: 4242, host: FOREIGN }),
      'pid 4242 on host node-that-was-drained',
    ],
    [
      'a lock naming a live pid of this host without a lease',
      owner({ pid: process.ppid, host: hostname() }),
      `pid ${process.ppid} on host ${hostname()}`,
    ],
  ])(
    '%s is refused with E_STORE naming lock, holder and command, and `store unlock --force` recovers',
    async (_label, content, holder) => {
      const dir = await freshDir();
      const lock = await plant(dir, content, ago(3_600_000));
      const refused = await refusal(dir);
      expect(refused.code).toBe('E_STORE');
      expect(refused.message).toContain(lock);
      expect(refused.message).toContain(holder);
      expect(refused.message).toContain('dissonance store unlock --dir');
      expect((await cli(['store', 'unlock', '--dir', dir])).code).toBe(1);
      expect((await refusal(dir)).code).toBe('E_STORE'); // a refused unlock removes nothing
      expect((await cli(['store', 'unlock', '--dir', dir, '--force'])).code).toBe(0);
      expect(await opens(dir)).toBe(true);
    },
  );

  it('a lease that is being refreshed is never taken, not even by `store unlock --force`', async () => {
    const dir = await freshDir();
    await plant(dir, owner({ pid: 4242, host: FOREIGN, lease: 30_000 }), ago(1_000));
    const refused = await refusal(dir);
    expect(refused.code).toBe('E_STORE');
    expect(refused.message).toContain('lease of 30000 ms');
    const forced = await cli(['store', 'unlock', '--dir', dir, '--force']);
    expect(forced.code).toBe(1);
    expect(forced.err).toContain('its lease is being refreshed');
  });

  it('a store.lock that is a directory fails the open with E_STORE and is left alone', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'store.lock'));
    const refused = await refusal(dir);
    expect(refused.code).toBe('E_STORE');
  });

  it('of eight openers racing for an expired lease, exactly one wins each round', async () => {
    for (let round = 0; round < 10; round++) {
      const dir = await freshDir();
      await plant(dir, owner({ pid: 1, host: FOREIGN, lease: 1_000 }), ago(60_000));
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => FileStore.open({ dir })));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isDissonanceError(r.reason, 'E_STORE')).toBe(true);
      await won[0]?.close();
    }
  });
});
