import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dedupStoreContract } from '@dissonance/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDedupStore } from '../../src/worker/index.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dedup-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

// First-seen, duplicates, expiry on the clock, concurrent marks, bad input and a reopen (a restarted worker).
dedupStoreContract('file', async () => {
  const dir = await freshDir();
  let now = 1_000_000;
  const options = { dir, now: () => now };
  let store = await FileDedupStore.open(options);
  return {
    store,
    advance: (ms: number) => {
      now += ms;
    },
    reopen: async () => {
      await store.close();
      store = await FileDedupStore.open(options);
      return store;
    },
    cleanup: () => store.close(),
  };
});

describe('FileDedupStore', () => {
  it('ignores a torn last line left by a crash mid-write', async () => {
    const dir = await freshDir();
    const store = await FileDedupStore.open({ dir });
    await store.mark('kept', 60_000);
    await store.close();
    await appendFile(join(dir, 'dedup.log'), 'torn-id');
    const again = await FileDedupStore.open({ dir });
    expect(await again.has('kept')).toBe(true);
    expect(await again.has('torn-id')).toBe(false);
    await again.close();
  });

  it('compacts the log without losing live marks', async () => {
    const dir = await freshDir();
    let now = 0;
    const store = await FileDedupStore.open({ dir, now: () => now, compactAfter: 5 });
    for (let i = 0; i < 4; i++) await store.mark(`old-${i}`, 10);
    now = 100;
    await store.mark('live', 1_000);
    await store.mark('live-2', 1_000);
    await store.close();
    const again = await FileDedupStore.open({ dir, now: () => now });
    expect(await again.has('live')).toBe(true);
    expect(await again.has('live-2')).toBe(true);
    expect(await again.has('old-0')).toBe(false);
    await again.close();
  });

  it('refuses ids that would break the log and calls after close', async () => {
    const store = await FileDedupStore.open({ dir: await freshDir() });
    await expect(store.mark('a\tb', 10)).rejects.toThrow(/without tabs or newlines/);
    await store.close();
    await expect(store.mark('a', 10)).rejects.toThrow(/closed/);
  });
});
