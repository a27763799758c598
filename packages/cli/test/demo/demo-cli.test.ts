import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../src/demo/demo-result.js';
import { parseDemoArgs } from '../../src/demo/demo-command.js';
import { runCliAsync } from '../../src/run-cli.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCliAsync(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('dissonance demo CLI', () => {
  it('--json prints a DemoResult', async () => {
    const { code, out, err } = await run(
      'demo',
      '--dataset',
      'breast_cancer',
      '--seeds',
      '1',
      '--strategies',
      'random',
      '--json',
    );
    expect(code).toBe(0);
    expect(err).toContain('demo: 100%');
    const result = JSON.parse(out) as DemoResult;
    expect(result.dataset).toBe('breast_cancer');
    expect(result.rows).toBe(569);
    expect(result.features).toBe(30);
    expect(result.classes).toBe(2);
    expect(result.seeds).toEqual([1]);
    expect(result.strategies.map((s) => [s.name, s.kind])).toEqual([
      ['default', 'default'],
      ['random', 'baseline'],
    ]);
    for (const s of result.strategies) {
      expect(s.perSeed).toHaveLength(1);
      expect(s.final.mean).toBeGreaterThan(0.8);
      expect(s.curve[0]!.labels).toBe(0);
    }
    expect(result.versions[0]!.decision).toBe('initial');
    expect(result.rounds.length).toBeGreaterThan(0);
    expect(result.policy.klEps).toBeGreaterThan(0);
    expect(typeof result.champion).toBe('string');
  }, 60_000);

  it('--report writes a self-contained report.html and the result.json it plots', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dissonance-report-'));
    try {
      const { code } = await run(
        'demo',
        '--dataset',
        'breast_cancer',
        '--seeds',
        '1',
        '--strategies',
        'random',
        '--report',
        dir,
      );
      expect(code).toBe(0);
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as DemoResult;
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      for (const chart of ['accuracy', 'dissonance', 'timeline']) expect(html).toContain(`data-chart="${chart}"`);
      const dissonance = result.strategies.find((s) => s.name === 'default')!;
      expect(html).toContain(
        `data-points="${JSON.stringify(dissonance.curve.map((p) => [p.labels, p.accuracy.mean]))}"`,
      );
      expect(html).not.toMatch(/https?:\/\//);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints tables without --json', async () => {
    const { code, out } = await run('demo', '--dataset', 'breast_cancer', '--seeds', '1', '--strategies', 'random');
    expect(code).toBe(0);
    expect(out).toContain('model versions');
    expect(out).toMatch(/default\s+default/);
  }, 60_000);

  it.each([
    [['--budget', '2'], '--budget'],
    [['--seeds', '0'], '--seeds'],
    [['--dataset', 'iris'], 'unknown dataset'],
    [['--frobnicate'], 'unknown demo option'],
    [['--strategies', 'nope'], 'unknown strategy'],
  ])('bad arguments %j → usage error', async (args, message) => {
    expect(parseDemoArgs(args)).toContain(message);
    const { code, err } = await run('demo', ...args);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});
