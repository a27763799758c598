import { describe, expect, it } from 'vitest';
import { FileRegistry } from '../../src/files/file-registry.js';
import { startChild, type Child } from './fixtures/child-process.js';
import { tempDir } from './fixtures/temp-dir.js';

const MODEL = 'shared';

/** Starts two children, waits until both are ready, then releases them together. */
async function startPair(args: readonly string[]): Promise<[Child, Child]> {
  const pair: [Child, Child] = [startChild('registry-child.ts', args), startChild('registry-child.ts', args)];
  await Promise.all(pair.map((child) => child.line(/^ready$/)));
  for (const child of pair) child.send('go');
  return pair;
}

describe('FileRegistry shared by two processes', () => {
  it('numbers concurrent registers from two processes without duplicates, gaps or damage', async () => {
    const dir = await tempDir('registry-processes');
    try {
      const pair = await startPair(['register', dir.path, MODEL, '15']);
      await Promise.all(pair.map((child) => child.line(/^done$/, 60_000)));
      const claimed = pair.map((child) =>
        child.lines.flatMap((line) => /^registered (\d+)$/.exec(line)?.[1] ?? []).map(Number),
      );
      const all = claimed.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

      const registry = new FileRegistry({ root: dir.path });
      const { items } = await registry.list(MODEL);
      expect(items).toHaveLength(30);
      for (const item of items) {
        const { manifest } = await registry.fetch(MODEL, item.version);
        const writer = claimed[0]?.includes(Number(item.version)) ? pair[0] : pair[1];
        expect(manifest.tags).toEqual({ by: String(writer.process.pid) });
      }
      await registry.close();
    } finally {
      await dir.remove();
    }
  }, 60_000);

  it('lets compare-and-set from two processes lose no update: every move up by one is won exactly once', async () => {
    const dir = await tempDir('registry-processes');
    try {
      const top = 40;
      const registry = new FileRegistry({ root: dir.path });
      for (let i = 0; i < top; i++) {
        await registry.register({
          name: MODEL,
          artifact: { format: 'onnx', bytes: new Uint8Array([i]) },
          inputWidth: 1,
          classes: 2,
        });
      }
      await registry.setAlias(MODEL, 'champion', '1', { expected: null });

      const pair = await startPair(['cas', dir.path, MODEL, String(top)]);
      const results = await Promise.all(pair.map((child) => child.line(/^done (\d+) (\d+)$/, 60_000)));
      const wins = results.map((match) => Number(match[1]));
      expect((wins[0] ?? 0) + (wins[1] ?? 0)).toBe(top - 1);
      expect((await registry.resolve(MODEL, 'champion')).version).toBe(String(top));
      await registry.close();
    } finally {
      await dir.remove();
    }
  }, 60_000);
});
