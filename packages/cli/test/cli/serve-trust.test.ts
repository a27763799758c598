import { KeyObject } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeyPair, isDissonanceError, type SigningKeyPair } from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTokenFile } from '../../src/cli/dev-token.js';
import { parseServeArgs, startServe, type ServeArgs } from '../../src/cli/serve-command.js';
import { FileRegistry } from '@dissonance/node';
import { createSigner, type Signer } from '../../../server/test/http/fixtures.js';
import { FORGED, registerForgeries, type Forgeries } from '../../../server/test/http/forgeries.js';

const noIo = { out: () => undefined, err: () => undefined };

describe('dissonance serve: production mode means one thing (item 4)', () => {
  it.each([
    { DISSONANCE_MODE: 'production' },
    { NODE_ENV: 'production' },
    { DISSONANCE_MODE: 'production', NODE_ENV: 'development' },
  ])('the development token is refused with %j', (env) => {
    expect(parseServeArgs(['--dev-token-file', '/tmp/t'], env)).toMatch(/development only.*production mode/);
  });

  it('the development token is accepted outside production mode', () => {
    expect(
      parseServeArgs(['--dev-token-file', '/tmp/t'], { DISSONANCE_MODE: 'development', NODE_ENV: 'production' }),
    ).toMatchObject({ devTokenFile: '/tmp/t' });
  });

  it('startServe refuses the development token in production mode even when parsing was skipped', async () => {
    const args = parseServeArgs(['--dev-token-file', '/tmp/never-written', '--port', '0']) as ServeArgs;
    await expect(startServe(args, noIo, { DISSONANCE_MODE: 'production' })).rejects.toMatchObject({ code: 'E_CONFIG' });
  });

  it('serve refuses to start in production mode without a trust policy (E_CONFIG naming the variable)', async () => {
    const args = parseServeArgs([
      '--jwks-url',
      'https://idp.test/jwks',
      '--issuer',
      'i',
      '--audience',
      'a',
      '--port',
      '0',
    ]) as ServeArgs;
    for (const env of [{ DISSONANCE_MODE: 'production' }, { NODE_ENV: 'production' }]) {
      const error: unknown = await startServe(args, noIo, env).catch((e: unknown) => e);
      expect(isDissonanceError(error) && error.code === 'E_CONFIG').toBe(true);
      expect((error as Error).message).toContain('DISSONANCE_TRUSTED_KEYS');
    }
  });
});

describe('dissonance serve: signing key and trust policy must agree', () => {
  let dir: string;
  let trusted: SigningKeyPair;
  let stranger: SigningKeyPair;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-keys-'));
    trusted = await generateSigningKeyPair();
    stranger = await generateSigningKeyPair();
    writeFileSync(join(dir, 'trusted.pub.jwk'), JSON.stringify(trusted.publicKey));
    writeFileSync(join(dir, 'stranger.jwk'), JSON.stringify(stranger.privateKey), { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a trust policy that requires signatures without a signing key is refused', async () => {
    const args = parseServeArgs([
      '--dev-token-file',
      join(dir, 't'),
      '--trusted-key',
      join(dir, 'trusted.pub.jwk'),
      '--port',
      '0',
    ]) as ServeArgs;
    await expect(startServe(args, noIo, {})).rejects.toThrow(/--signing-key/);
  });

  it('a signing key the policy does not trust is refused', async () => {
    const argv = [
      '--dev-token-file',
      join(dir, 't'),
      '--trusted-key',
      join(dir, 'trusted.pub.jwk'),
      '--signing-key',
      join(dir, 'stranger.jwk'),
      '--port',
      '0',
    ];
    await expect(startServe(parseServeArgs(argv) as ServeArgs, noIo, {})).rejects.toThrow(/does not trust/);
  });
});

describe('dissonance serve: the development token file (item 8)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-token-file-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an existing 0644 file is set to 0600 and rewritten', () => {
    const path = join(dir, 'existing');
    writeFileSync(path, 'old token, much longer than the new one\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    writeTokenFile(path, 'new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  it('a symbolic link is never followed: E_CONFIG, and its target is untouched', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'precious\n', { mode: 0o644 });
    const link = join(dir, 'link');
    symlinkSync(target, link);
    expect(() => writeTokenFile(link, 'token')).toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

describe('dissonance serve with a trust policy: versions another process registers are checked (items 4 and 5)', () => {
  let dir: string;
  let started: Awaited<ReturnType<typeof startServe>>;
  let signer: Signer;
  let pair: SigningKeyPair;
  let forged: Forgeries;
  let admin: string;
  let err = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-trust-'));
    signer = await createSigner();
    pair = await generateSigningKeyPair();
    writeFileSync(join(dir, 'trusted.pub.jwk'), JSON.stringify(pair.publicKey));
    writeFileSync(join(dir, 'signing.jwk'), JSON.stringify(pair.privateKey), { mode: 0o600 });
    writeFileSync(join(dir, 'token.pem'), KeyObject.from(signer.publicKey).export({ type: 'spki', format: 'pem' }));
    const argv = [
      ...['--port', '0', '--dir', join(dir, 'state'), '--retrain-every', '0'],
      ...['--public-key', join(dir, 'token.pem'), '--issuer', 'https://issuer.test', '--audience', 'dissonance-test'],
      ...['--trusted-key', join(dir, 'trusted.pub.jwk'), '--signing-key', join(dir, 'signing.jwk')],
    ];
    started = await startServe(parseServeArgs(argv) as ServeArgs, { out: () => undefined, err: (t) => (err += t) }, {});
    // "Another process": its own registry object on the same directory.
    const other = new FileRegistry({ root: join(dir, 'state', 'registry') });
    const { width, classes } = started.serving.models;
    const onnx = (i: number): { format: string; bytes: Uint8Array } => ({
      format: 'onnx',
      bytes: writeOnnxMlp(initMlp({ inputWidth: width, hidden: [8], classes, seed: 100 + i })),
    });
    forged = await registerForgeries(other, started.serving.engine.modelName, pair, {
      artifact: onnx,
      inputWidth: width,
      classes,
    });
    admin = await signer.sign({ sub: 'ops-admin', scope: 'admin predict' });
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string): string => `${started.server.url}${path}`;
  const name = (): string => started.serving.engine.modelName;

  it('its own champion and critic are signed and served', async () => {
    expect(err).not.toContain('no trust policy');
    const champion = await fetch(
      url(`/v1/models/${name()}/versions/${started.serving.engine.championVersion}/model.onnx`),
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(champion.status).toBe(200);
    const critic = await fetch(url(`/v1/models/${name()}-critic`), { headers: { authorization: `Bearer ${admin}` } });
    expect(critic.status).toBe(200);
  });

  it.each(FORGED)('a %s version is neither served nor promoted (409)', async (kind) => {
    const version = forged[kind];
    const download = await fetch(url(`/v1/models/${name()}/versions/${version}/model.onnx`), {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(download.status).toBe(409);
    expect(download.headers.get('cache-control')).toBe('no-store');
    const champion = started.serving.engine.championVersion;
    const promote = await fetch(url(`/v1/models/${name()}/promote`), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version }),
    });
    expect(promote.status).toBe(409);
    expect(((await promote.json()) as { error: { code: string } }).error.code).toBe('E_ARTIFACT_SIGNATURE');
    expect(started.serving.engine.championVersion).toBe(champion);
  });

  it('an alias moved to a forged version behind its back is not loaded, and /readyz says so', async () => {
    const registry = new FileRegistry({ root: join(dir, 'state', 'registry') });
    const champion = started.serving.engine.championVersion;
    await registry.setAlias(name(), 'champion', forged.stranger, { expected: champion });
    await expect(started.serving.engine.refreshChampion()).resolves.toBe(false);
    expect(started.serving.engine.championVersion).toBe(champion);
    const ready = await fetch(url('/readyz'));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: { name: string }[] }).failing.map((f) => f.name)).toContain(
      'loop.refresh',
    );
    expect(err).toContain('E_ARTIFACT_SIGNATURE');
    await registry.setAlias(name(), 'champion', champion, { expected: forged.stranger });
  });

  it('the version signed by the trusted key is promoted', async () => {
    const promote = await fetch(url(`/v1/models/${name()}/promote`), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: forged.signed }),
    });
    expect(promote.status).toBe(200);
    expect(started.serving.engine.championVersion).toBe(forged.signed);
  });
});
