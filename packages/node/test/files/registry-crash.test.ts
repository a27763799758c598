import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FileRegistry } from '../../src/files/file-registry.js';
import { killHard, startChild, type Child } from './fixtures/child-process.js';
import { tempDir } from './fixtures/temp-dir.js';

const MODEL = 'crashy';
/** Large enough that writing and fsyncing it takes a while, so the kill lands inside a register. */
const LARGE = 30 * 1024 * 1024;
const FIRST = new Uint8Array(1024).map((_, i) => i % 251);

describe('FileRegistry after a SIGKILL during register', () => {
  it('keeps every acknowledged version intact, keeps the champion, and never shows a half-written version', async () => {
    const dir = await tempDir('registry-crash');
    const modelDir = join(dir.path, MODEL);
    try {
      const setup = new FileRegistry({ root: dir.path });
      await setup.register({ name: MODEL, artifact: { format: 'onnx', bytes: FIRST }, inputWidth: 4, classes: 2 });
      await setup.setAlias(MODEL, 'champion', '1', { expected: null });
      await setup.close();

      let versions = 1;
      let killedMidWrite = 0;
      // At least 3 rounds; more (up to 8) until one kill has landed mid-register, however loaded the machine.
      for (let round = 0; round < 8 && !(round >= 3 && killedMidWrite > 0); round++) {
        const child = startChild('registry-child.ts', ['crash', dir.path, MODEL, String(LARGE)]);
        const caught = await killDuringRegister(child, modelDir);
        if (caught) killedMidWrite++;
        const acknowledged = child.lines.flatMap((line) => /^registered (\d+)$/.exec(line)?.[1] ?? []).map(Number);
        expect(acknowledged.length, child.stderr()).toBeGreaterThan(0);

        const registry = new FileRegistry({ root: dir.path });
        const { items } = await registry.list(MODEL, { pageSize: 1000 });
        const listed = items.map((item) => Number(item.version));
        // Contiguous, newest first: no gap, no half-written version (its manifest would fail to parse).
        expect(listed).toEqual(Array.from({ length: listed.length }, (_, i) => listed.length - i));
        for (const version of acknowledged) expect(listed).toContain(version);
        expect(listed.length).toBeGreaterThanOrEqual(versions + acknowledged.length);
        expect(listed.length).toBeLessThanOrEqual(versions + acknowledged.length + 1);
        versions = listed.length;
        // Every visible version's artifact is complete: fetch re-hashes it against its manifest.
        for (const item of items) {
          const { artifact } = await registry.fetch(MODEL, item.version);
          expect(artifact.bytes.byteLength).toBe(item.size);
        }
        expect([...(await registry.fetch(MODEL, '1')).artifact.bytes]).toEqual([...FIRST]);
        expect((await registry.resolve(MODEL, 'champion')).version).toBe('1');
        // The crashed writer's temporary directory is gone once a registry has opened the root.
        expect((await readdir(modelDir)).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
        await registry.close();
      }
      // The kill is aimed at a moment when the child's temporary version directory exists; it can miss
      // only when the rename wins the race in every round.
      expect(killedMidWrite).toBeGreaterThan(0);

      const after = new FileRegistry({ root: dir.path });
      const next = await after.register({
        name: MODEL,
        artifact: { format: 'onnx', bytes: FIRST },
        inputWidth: 4,
        classes: 2,
      });
      expect(Number(next.version)).toBe(versions + 1);
      await after.close();
    } finally {
      await dir.remove();
    }
  }, 120_000);
});

/**
 * Lets the child finish one large register, then kills it (SIGKILL) while its next one is under way: as soon
 * as its temporary version directory exists, after a random 0–5 ms so the kill lands at different steps.
 * Returns whether a temporary directory was still there after the kill (the kill hit mid-register).
 */
async function killDuringRegister(child: Child, modelDir: string): Promise<boolean> {
  await child.line(/^registered \d+$/, 60_000);
  const prefix = `.tmp-${child.process.pid}-`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const names = await readdir(modelDir);
    if (names.some((name) => name.startsWith(prefix) && name.endsWith('-version'))) {
      await sleep(Math.random() * 5);
      await killHard(child);
      return (await readdir(modelDir)).some((name) => name.startsWith(prefix));
    }
    await sleep(1);
  }
  await killHard(child);
  throw new Error(`never saw the child's temporary version directory; stderr: ${child.stderr()}`);
}
