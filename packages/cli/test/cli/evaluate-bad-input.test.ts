import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CATEGORIES, MAX_CSV_BYTES, readEvaluationCsv } from '../../src/cli/evaluate-csv.js';
import { runCliAsync } from '../../src/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dissonance-evaluate-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid CSV body: `rows` rows, features a and b, a two-class label. */
function rows(n: number, make: (r: number) => string = (r) => `${r % 7},${(r * 3) % 11},${r % 2}`): string {
  return Array.from({ length: n }, (_, r) => make(r)).join('\n');
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function evaluate(
  path: string,
  ...extra: string[]
): Promise<{ code: number; out: string; err: string; wrote: boolean }> {
  let out = '';
  let err = '';
  const report = join(dir, `report-${Math.random().toString(36).slice(2)}`);
  const code = await runCliAsync(
    ['evaluate', '--data', path, '--label', 'y', '--seeds', '1', '--report', report, ...extra],
    {
      out: (t) => (out += t),
      err: (t) => (err += t),
    },
  );
  return { code, out, err, wrote: existsSync(report) };
}

/** Each bad input exits 2 with one line on stderr naming the problem and where; nothing written. */
async function expectRefused(path: string, pattern: RegExp, ...extra: string[]): Promise<void> {
  const before = readdirSync(dir).length;
  const { code, out, err, wrote } = await evaluate(path, ...extra);
  expect(code).toBe(2);
  expect(out).toBe('');
  expect(err.endsWith('\n')).toBe(true);
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(err).toMatch(/^dissonance evaluate: /);
  expect(err).toMatch(pattern);
  expect(wrote).toBe(false);
  expect(readdirSync(dir).length).toBe(before);
}

describe('dissonance evaluate: bad input exits 2, one line, nothing written', () => {
  it('an empty file', async () => {
    await expectRefused(file('empty.csv', ''), /empty file/);
    await expectRefused(file('blank.csv', '\n\n  \n'), /empty file/);
  });

  it('a missing label column', async () => {
    await expectRefused(
      file('nolabel.csv', `a,b,c\n${rows(100)}`),
      /no label column "y" in the header \(columns: a, b, c\)/,
    );
  });

  it('a non-numeric or non-integer label, naming the line and column', async () => {
    await expectRefused(
      file('strlabel.csv', `a,b,y\n${rows(60)}\n1,2,cat\n${rows(60)}`),
      /line 62, column "y": label "cat" is not numeric/,
    );
    await expectRefused(
      file('fraclabel.csv', `a,b,y\n${rows(60)}\n1,2,1.5`),
      /line 62, column "y": label 1\.5 is not an integer/,
    );
  });

  it('a single class', async () => {
    await expectRefused(
      file('oneclass.csv', `a,b,y\n${rows(100, (r) => `${r},${r},3`)}`),
      /column "y": a single class \(3\)/,
    );
  });

  it('fewer rows than the split needs', async () => {
    await expectRefused(
      file('few.csv', `a,b,y\n${rows(12)}`),
      /class 0 has 6 rows; the split .* needs at least 10 per class/,
    );
    await expectRefused(file('rare.csv', `a,b,y\n${rows(100)}\n1,1,2`), /class 2 has 1 rows/);
  });

  it('NaN, Inf or empty cells, naming the line and column (unless --impute mean)', async () => {
    await expectRefused(
      file('nan.csv', `a,b,y\n${rows(50)}\n1,NaN,0\n${rows(50)}`),
      /line 52, column "b": "NaN" is not finite \(pass --impute mean/,
    );
    await expectRefused(
      file('inf.csv', `a,b,y\n${rows(50)}\nInfinity,1,0\n${rows(50)}`),
      /line 52, column "a": "Infinity" is not finite/,
    );
    await expectRefused(
      file('emptycell.csv', `a,b,y\n${rows(50)}\n,1,0\n${rows(50)}`),
      /line 52, column "a": empty cell/,
    );
    const imputed = readEvaluationCsv(`a,b,y\n${rows(50)}\n,1,0\n${rows(50)}`, { label: 'y', impute: 'mean' });
    expect(imputed.x[50 * 2]).toBeCloseTo(
      rows(50)
        .split('\n')
        .reduce((s, l) => s + Number(l.split(',')[0]) * 2, 0) / 100,
    );
  });

  it('duplicate header names', async () => {
    await expectRefused(
      file('dup.csv', `a,b,a,y\n${rows(100, (r) => `${r},${r},${r},${r % 2}`)}`),
      /duplicate header name "a" \(columns 1 and 3\)/,
    );
  });

  it('a string feature column (unless --categorical one-hot, capped)', async () => {
    const colour = (r: number) => ['red', 'green', 'blue'][r % 3]!;
    await expectRefused(
      file('str.csv', `a,colour,y\n${rows(100, (r) => `${r},${colour(r)},${r % 2}`)}`),
      /line 2, column "colour": "red" is not a number \(a string column/,
    );
    const hot = readEvaluationCsv(`a,colour,y\n${rows(100, (r) => `${r},${colour(r)},${r % 2}`)}`, {
      label: 'y',
      categorical: 'one-hot',
    });
    expect(hot.features).toEqual(['a', 'colour=blue', 'colour=green', 'colour=red']);
    const many = file('manycat.csv', `a,k,y\n${rows(100, (r) => `${r},k${r},${r % 2}`)}`);
    await expectRefused(
      many,
      new RegExp(`column "k": 100 distinct values, over the one-hot cap of ${MAX_CATEGORIES}`),
      '--categorical',
      'one-hot',
    );
  });

  it('a file over the size limit (checked before it is read)', async () => {
    const path = join(dir, 'huge.csv');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, MAX_CSV_BYTES + 1); // sparse: no disk used
    closeSync(fd);
    await expectRefused(path, /huge\.csv: file is over the 256 MiB limit/);
    rmSync(path);
  });

  it('a bad command line', async () => {
    await expectRefused(
      file('ok.csv', `a,b,y\n${rows(100)}`),
      /--budget must be a number in \(0, 1\], got 2/,
      '--budget',
      '2',
    );
    await expectRefused(join(dir, 'missing.csv'), /missing\.csv: no such file/);
    await expectRefused(file('ok2.csv', `a,b,y\n${rows(100)}`), /--drop: no column "zz"/, '--drop', 'zz');
    await expectRefused(file('ok3.csv', `a,b,y\n${rows(100)}`), /--drop: "y" is the label column/, '--drop', 'y');
  });

  it("a --proposer that is not an ONNX classifier of the data's width, before anything runs", async () => {
    const data = file('ok5.csv', `a,b,y\n${rows(100)}`);
    await expectRefused(data, /--proposer .*not-onnx\.onnx: /, '--proposer', file('not-onnx.onnx', 'hello'));
  });

  it('a --report path that is a file, before anything runs (the file is left as it was)', async () => {
    const data = file('ok4.csv', `a,b,y\n${rows(100)}`);
    const taken = file('taken', 'mine');
    let out = '';
    let err = '';
    const code = await runCliAsync(['evaluate', '--data', data, '--label', 'y', '--seeds', '1', '--report', taken], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^dissonance evaluate: --report .*taken: exists and is not a directory\n$/);
    expect(readFileSync(taken, 'utf8')).toBe('mine');
  });
});
