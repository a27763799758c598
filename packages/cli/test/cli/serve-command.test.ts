import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs, startServe, type ServeArgs } from '../../src/cli/serve-command.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

describe('dissonance serve: arguments', () => {
  it('parses the options the browser example uses', () => {
    const args = parseServeArgs([
      '--dataset',
      'digits',
      '--port',
      '8787',
      '--dev-token-file',
      '/tmp/t',
      '--retrain-every',
      '8',
      '--cors',
      'http://localhost:5173',
    ]);
    expect(args).toMatchObject({
      dataset: 'digits',
      port: 8787,
      devTokenFile: '/tmp/t',
      retrainEvery: 8,
      cors: ['http://localhost:5173'],
      host: '127.0.0.1',
    });
  });

  it.each([
    [[], /no token verification/],
    [['--dev-token-file', '/tmp/t', '--port', 'x'], /--port/],
    [['--dev-token-file', '/tmp/t', '--dataset', 'mnist'], /unknown dataset/],
    [['--jwks-url', 'https://idp.test/jwks'], /--issuer and --audience/],
    [['--jwks-url', 'not a url', '--issuer', 'i', '--audience', 'a'], /not a URL/],
    [['--dev-token-file', '/tmp/t', '--public-key', 'k.pem'], /only one/],
    [['--dev-token-file', '/tmp/t', '--bogus', '1'], /unknown serve option/],
    [['--dev-token-file'], /needs a value/],
  ])('%j is refused', (argv, message) => {
    expect(parseServeArgs(argv)).toMatch(message);
  });

  it('--dev-token-file is refused when NODE_ENV=production', () => {
    expect(parseServeArgs(['--dev-token-file', '/tmp/t'], { NODE_ENV: 'production' })).toMatch(/development only/);
  });
});

describe('dissonance serve: a running server with a development token', () => {
  let dir: string;
  let started: Awaited<ReturnType<typeof startServe>>;
  let out = '';
  let err = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-test-'));
    const args = parseServeArgs([
      '--port',
      '0',
      '--dev-token-file',
      join(dir, 'token'),
      '--retrain-every',
      '8',
      '--trust',
      'dev',
      '--dir',
      join(dir, 'state'),
    ]) as ServeArgs;
    started = await startServe(args, { out: (t) => (out += t), err: (t) => (err += t) });
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URL and writes an owner-only token with scopes predict and feedback', async () => {
    expect(out).toContain(`listening on ${started.server.url}`);
    expect(err).toContain('development token');
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      scope: string;
      exp: number;
      iat: number;
    };
    expect(payload.scope).toBe('predict feedback');
    expect(payload.exp - payload.iat).toBe(3600);
  });

  it('serves the digits champion; feedback triggers a retrain after --retrain-every items', async () => {
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const auth = { authorization: `Bearer ${token}` };
    const model = (await (
      await fetch(`${started.server.url}/v1/models/digits-proposer`, { headers: auth })
    ).json()) as { champion: { version: string; manifest: { inputWidth: number } } };
    expect(model.champion.manifest.inputWidth).toBe(64);
    const { stream } = started.serving.models;
    const rows = Array.from({ length: 8 }, (_, r) => Array.from(stream.x.subarray(r * 64, (r + 1) * 64)));
    const predicted = (await (
      await fetch(`${started.server.url}/v1/predict`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ rows }),
      })
    ).json()) as { probabilities: number[][] };
    const argmax = (p: number[]): number => p.indexOf(Math.max(...p));
    const right = predicted.probabilities.filter((p, r) => argmax(p) === stream.labels[r]).length;
    expect(right).toBeGreaterThanOrEqual(6);
    const retrained = new Promise<string>((done) =>
      started.serving.engine.once('retrained', (e) => done(e.candidate.version)),
    );
    const items = rows.map((features, r) => ({ id: `fb-${r}`, features, label: stream.labels[r]! }));
    const feedback = await fetch(`${started.server.url}/v1/feedback`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    const outcome = (await feedback.json()) as { accepted: number; quarantined: number };
    expect(outcome).toEqual({ accepted: 8, duplicates: 0, quarantined: 0 });
    expect(Number(await retrained)).toBeGreaterThan(Number(model.champion.version));
    const admin = await fetch(`${started.server.url}/v1/policy`, { headers: auth });
    expect(admin.status).toBe(403);
  }, 60_000);
});

describe('dissonance serve: from source with tsx, as the browser example starts it', () => {
  it('starts, answers /readyz and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-tsx-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(ROOT, 'packages/cli/src/cli.ts'),
        'serve',
        '--port',
        '0',
        '--dev-token-file',
        join(dir, 'token'),
        '--dir',
        join(dir, 'state'),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_ENV: 'development' },
      },
    );
    try {
      const url = await new Promise<string>((done, fail) => {
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          const match = /listening on (\S+)/.exec(text);
          if (match !== null) done(match[1]!);
        });
        child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
      });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
