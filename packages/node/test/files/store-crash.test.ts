import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { generateEncryptionKey } from '@dissonance/core';
import { bytesToBase64 } from '@dissonance/core/adapter-kit';
import { FileStore } from '../../src/files/file-store.js';
import { envKeyProvider } from '../../src/security/env-key-provider.js';
import { killHard, startChild, type Child } from './fixtures/child-process.js';
import { BATCH, batchExample } from './fixtures/store-batches.js';
import { tempDir } from './fixtures/temp-dir.js';

describe('FileStore after a SIGKILL during appends', () => {
  it.each([
    { label: 'a log that is never compacted', capacity: 100_000 },
    { label: 'a log compacted every few batches', capacity: 12 },
    { label: 'an encrypted log compacted every few batches', capacity: 12, encrypted: true },
  ])(
    'keeps every acknowledged write, whole batches only: $label',
    async ({ capacity, encrypted = false }) => {
      const dir = await tempDir('store-crash');
      // The children read the keys from the environment they inherit.
      if (encrypted) process.env.DISSONANCE_ENCRYPTION_KEYS = `crash:${bytesToBase64(generateEncryptionKey())}`;
      const encryption = encrypted ? { encryption: envKeyProvider() } : {};
      try {
        const batches: number[] = [];
        const audits: number[] = [];
        let next = 0;
        for (let round = 0; round < 2; round++) {
          const child = startChild('store-child.ts', [
            encrypted ? 'crash-encrypted' : 'crash',
            dir.path,
            String(capacity),
            String(next),
          ]);
          await killAfter(child, next + 15 + Math.floor(Math.random() * 15));
          const acked = (kind: string): number =>
            Math.max(
              next - 1,
              ...child.lines.flatMap((line) => new RegExp(`^${kind} (\\d+)$`).exec(line)?.[1] ?? []).map(Number),
            );
          const [lastBatch, lastValue, lastAudit] = [acked('examples'), acked('value'), acked('audit')];

          // The dead child's lock is broken; a new store sees every acknowledged write.
          const store = await FileStore.open({ dir: dir.path, capacity, ...encryption });
          const ids = (await store.examples()).map((example) => example.id);
          const newest = Number(ids[ids.length - 1]?.split('-')[0]);
          expect([lastBatch, lastBatch + 1]).toContain(newest);
          for (let i = next; i <= newest; i++) batches.push(i);
          // Whole batches only (a torn batch is all gone), in order, the newest `capacity` examples.
          const expected = batches
            .flatMap((i) => Array.from({ length: BATCH }, (_, j) => `${i}-${j}`))
            .slice(-capacity);
          expect(ids).toEqual(expected);
          const [first] = await store.examples(1);
          expect(first?.x).toEqual(batchExample(newest, BATCH - 1).x);

          const counter = await store.getValue('counter');
          expect([lastValue, lastValue + 1]).toContain(counter);
          const ats = (await store.audit()).map((entry) => entry.at);
          const lastAt = ats[ats.length - 1] ?? -1;
          expect([lastAudit, lastAudit + 1]).toContain(lastAt);
          for (let i = next; i <= lastAt; i++) audits.push(i);
          expect(ats).toEqual(audits);

          // Still writable after the crash.
          next = Math.max(newest, lastAt, typeof counter === 'number' ? counter : -1) + 1;
          await store.close();
        }
      } finally {
        delete process.env.DISSONANCE_ENCRYPTION_KEYS;
        await dir.remove();
      }
    },
    120_000,
  );
});

/** Kills the child (SIGKILL) right after it acknowledges batch `batch`, give or take a few milliseconds. */
async function killAfter(child: Child, batch: number): Promise<void> {
  await child.line(new RegExp(`^examples ${batch}$`), 60_000);
  await sleep(Math.random() * 3);
  await killHard(child);
}
