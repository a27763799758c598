import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnnxMlp, writeOnnxMlp } from '../../src/onnx/index.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import { randomMlp, randomRows } from './graphs.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TOLERANCE = 1e-5;
/** Fixtures onnx_fixtures.py must produce; others (the dynamo export) may be skipped with a note. */
const REQUIRED = [
  'sklearn_digits',
  'sklearn_digits_zipmap',
  'sklearn_breast_cancer',
  'sklearn_breast_cancer_zipmap',
  'torch_legacy',
  'torch_legacy_softmax',
];

interface Fixture {
  name: string;
  producer: string;
  input: string;
  output: string;
  outputKind: 'probabilities' | 'logits';
  inputs: number[][];
  probabilities: number[][];
  /** The .onnx file's bytes (read by the test, not part of the JSON). */
  bytes: Uint8Array;
}

let python = '';
let dir = '';

function run(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

function rowsOf(values: Float32Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let at = 0; at < values.length; at += width) rows.push(Array.from(values.subarray(at, at + width)));
  return rows;
}

beforeAll(() => {
  const lines = run('bash', ['scripts/python-env.sh']).trim().split('\n');
  python = lines[lines.length - 1] ?? '';
  dir = mkdtempSync(join(tmpdir(), 'dissonance-onnx-'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('writeOnnxMlp against onnx.checker and Python onnxruntime', () => {
  it('writes a 20-32-16-5 MLP that passes the full checker and matches mlpForward on 1,000 rows', () => {
    const weights = randomMlp([20, 32, 16, 5], 42);
    const rows = 1000;
    const x = randomRows(rows, 20, 43);
    const expected = mlpForward(weights, x, rows);
    const model = join(dir, 'written.onnx');
    writeFileSync(model, writeOnnxMlp(weights, { metadata: { purpose: 'integration test' } }));
    writeFileSync(join(dir, 'written.inputs.json'), JSON.stringify(rowsOf(x, 20)));
    writeFileSync(join(dir, 'written.expected.json'), JSON.stringify(rowsOf(expected, 5)));
    const report = run(python, [
      'scripts/python/onnx_check.py',
      model,
      join(dir, 'written.inputs.json'),
      join(dir, 'written.expected.json'),
      '--tol',
      String(TOLERANCE),
    ]);
    console.log(`writeOnnxMlp 20-32-16-5, ${rows} rows: ${report.trim().replace(/\n/g, '; ')}`);
    expect(report).toMatch(/checker ok/);
    const diff = Number(/max_abs_diff=(\S+)/.exec(report)?.[1]);
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('readOnnxMlp on skl2onnx and torch.onnx.export models', () => {
  let fixtures: Fixture[] = [];

  beforeAll(() => {
    const out = join(dir, 'fixtures');
    console.log(run(python, ['scripts/python/onnx_fixtures.py', out]).trim());
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      fixtures: string[];
      skipped: Record<string, string>;
    };
    for (const [name, reason] of Object.entries(manifest.skipped)) console.log(`fixture ${name} skipped: ${reason}`);
    expect(manifest.fixtures).toEqual(expect.arrayContaining(REQUIRED));
    fixtures = manifest.fixtures.map((name) => ({
      ...(JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as Omit<Fixture, 'bytes'>),
      bytes: new Uint8Array(readFileSync(join(out, `${name}.onnx`))),
    }));
  });

  it('reproduces Python onnxruntime probabilities with mlpForward to 1e-5 on every fixture', () => {
    const summary: string[] = [];
    for (const fixture of fixtures) {
      const read = readOnnxMlp(fixture.bytes);
      expect(read.inputName, fixture.name).toBe(fixture.input);
      expect(read.outputKind, fixture.name).toBe(fixture.outputKind);
      if (!fixture.name.endsWith('_zipmap')) expect(read.outputName, fixture.name).toBe(fixture.output);
      const rows = fixture.inputs.length;
      const x = Float32Array.from(fixture.inputs.flat());
      const got = mlpForward(read.weights, x, rows);
      const want = fixture.probabilities.flat();
      expect(got.length, fixture.name).toBe(want.length);
      let diff = 0;
      want.forEach((p, i) => {
        diff = Math.max(diff, Math.abs((got[i] ?? Number.NaN) - p));
      });
      const shape = [read.weights.inputWidth, ...read.weights.layers.map((l) => l.outputs)].join('-');
      summary.push(
        `${fixture.name} (${read.producer}, opset ${read.opset}, ${shape}, output '${read.outputName}'): max abs diff ${diff.toExponential(3)}`,
      );
      expect(diff, fixture.name).toBeLessThanOrEqual(TOLERANCE);
    }
    console.log(summary.join('\n'));
  });
});
