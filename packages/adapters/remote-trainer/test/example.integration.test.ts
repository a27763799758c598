import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasPython, root } from './worker.js';

/** Runs `npm run example:remote-trainer -- …` (tsx on the example's entry) and collects its output. */
function runExample(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(`${root}node_modules/.bin/tsx`, ['examples/remote-trainer/remote-trainer.ts', ...args], {
    cwd: root,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run example:remote-trainer', () => {
  it.skipIf(!hasPython).each(['http', 'nats'])(
    '--via %s --model cnn: the worker fits the seed-set CNN and retrains it, the engine validates and promotes its candidates, the built-in MLP runs beside it at equal labels',
    async (via) => {
      // One seed, the first 448 stream rows (14 batches: two retrains), so it stays well under a minute.
      const { code, stdout, stderr } = await runExample([
        '--via',
        via,
        '--model',
        'cnn',
        '--seeds',
        '1',
        '--stream-rows',
        '448',
        '--json',
      ]);
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        via,
        model: 'cnn',
        seeds: [1],
        final: { accuracy: expect.any(Number), perSeed: [expect.any(Number)], labels: 67 },
        builtin: { accuracy: expect.any(Number), perSeed: [expect.any(Number)], labels: 67 },
        promotions: expect.any(Number),
        rollbacks: 0,
        // The seed-set model's job, then two retrains: all answered, nothing retried or timed out.
        jobs: { sent: 3, completed: 3, retried: 0, timedOut: 0, refused: 0 },
      });
      const final = result['final'] as { accuracy: number; seedSet: number };
      const builtin = result['builtin'] as { accuracy: number };
      expect(result['promotions']).toBe(2);
      for (const accuracy of [final.accuracy, builtin.accuracy]) {
        expect(accuracy).toBeGreaterThan(0.5);
        expect(accuracy).toBeLessThanOrEqual(1);
      }
      // The promoted retrain is within the golden guard's allowed drop (maxGoldenDrop 0.015) of the seed-set CNN.
      expect(final.accuracy).toBeGreaterThanOrEqual(final.seedSet - 0.015);
    },
  );

  it('an unknown --via exits 2 with a clear error before starting a worker', async () => {
    const { code, stdout, stderr } = await runExample(['--via', 'kafka', '--seeds', '1', '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/--via/);
    expect(stderr).not.toMatch(/starting the Python worker/);
  });
});
