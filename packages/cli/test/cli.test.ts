import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, HELP, runCli } from '../src/run-cli.js';
import { VERSION } from '../src/index.js';

function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('dissonance CLI', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

  it('VERSION is the package.json version', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it.each([['--version'], ['-v']])('%s prints the version', (flag) => {
    expect(run(flag)).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
  });

  it.each([['--help'], ['-h']])('%s prints the help', (flag) => {
    expect(run(flag)).toEqual({ code: 0, out: HELP, err: '' });
  });

  it('no argument prints the help', () => {
    expect(run()).toEqual({ code: 0, out: HELP, err: '' });
  });

  it('an unknown command goes to stderr with exit code 2', () => {
    const result = run('frobnicate');
    expect(result.code).toBe(EXIT_USAGE);
    expect(EXIT_USAGE).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain('unknown command "frobnicate"');
  });

  it('an unknown option goes to stderr with exit code 2', () => {
    const result = run('--frob');
    expect(result.code).toBe(2);
    expect(result.err).toContain('unknown option "--frob"');
  });

  it('extra arguments after --version are a usage error', () => {
    expect(run('--version', 'x').code).toBe(2);
  });
});
