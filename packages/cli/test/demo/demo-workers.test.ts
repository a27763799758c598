import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

describe('demo seeds in child processes', () => {
  it('gives exactly the numbers of an in-process run', async () => {
    const options = { dataset: 'breast_cancer', seeds: 2, strategies: ['random'], injectRegression: true } as const;
    const inProcess = await runDemo(options);
    const parallel = await runDemo({
      ...options,
      workers: 2,
      // The CLI from source, as `npm run demo` starts it (tsx resolves @dissonance/* through tsconfig paths).
      workerCommand: [process.execPath, '--import', 'tsx', resolve(ROOT, 'packages/cli/src/cli.ts')],
    });
    const strip = (r: typeof inProcess) => ({ ...r, seconds: 0 });
    expect(strip(parallel)).toEqual(strip(inProcess));
    expect(parallel.versions.some((v) => v.decision === 'rejected')).toBe(true);
  }, 120_000);
});
