import { generateKeyPairSync } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateEncryptionKey, staticKeyProvider } from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { SIGNATURE_KEY_ID_TAG } from '@dissonance/core/adapter-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../../src/run-cli.js';
import { tempDir } from '../../../node/test/files/fixtures/temp-dir.js';
import { FileRegistry } from '@dissonance/node';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCliAsync(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const onnx = (seed: number): Uint8Array => writeOnnxMlp(initMlp({ inputWidth: 3, hidden: [2], classes: 2, seed }));

describe('dissonance keys / sign / verify', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });
  async function dir(): Promise<string> {
    const made = await tempDir('cli-keys');
    dirs.push(made);
    return made.path;
  }

  it('round trip: generate keys, sign a model, verify it; tampered, unsigned and wrong-key models fail with the reason', async () => {
    const root = await dir();
    const keys = join(root, 'keys');
    const generated = await run('keys', 'generate', '--out', keys);
    expect(generated.code, generated.err).toBe(0);
    const keyId = /key id ([0-9a-f]{16})/.exec(generated.out)?.[1];
    expect(keyId).toBeDefined();
    expect((await stat(join(keys, 'signing-key.jwk'))).mode & 0o777).toBe(0o600);
    const publicJwk = JSON.parse(await readFile(join(keys, 'signing-key.pub.jwk'), 'utf8')) as {
      d?: string;
      kid?: string;
    };
    expect(publicJwk.d).toBeUndefined();
    expect(publicJwk.kid).toBe(keyId);
    // A second generate never overwrites the key.
    expect((await run('keys', 'generate', '--out', keys)).code).toBe(1);

    const model = join(root, 'model.onnx');
    await writeFile(model, onnx(1));
    const signed = await run('sign', model, '--key', join(keys, 'signing-key.jwk'));
    expect(signed.code, signed.err).toBe(0);
    const manifest = JSON.parse(await readFile(`${model}.manifest.json`, 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: 'onnx', size: onnx(1).length, signature: { alg: 'Ed25519', keyId } });
    const pub = join(keys, 'signing-key.pub.jwk');
    const ok = await run('verify', model, '--pub', pub);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`signed by key ${keyId}`);

    // Tampered: one flipped bit.
    const tampered = Buffer.from(onnx(1));
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await writeFile(model, tampered);
    const bad = await run('verify', model, '--pub', pub, '--manifest', `${model}.manifest.json`);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('tampered');
    // Tampered, and the manifest's digest edited to match: the signature still fails.
    await writeFile(`${model}.manifest.json`, JSON.stringify({ ...manifest, sha256: undefined, size: undefined }));
    const forged = await run('verify', model, '--pub', pub);
    expect(forged.code).toBe(1);
    expect(forged.err).toContain('does not match its signature');

    // Unsigned.
    await writeFile(model, onnx(1));
    await writeFile(`${model}.manifest.json`, JSON.stringify({ format: 'onnx' }));
    const unsigned = await run('verify', model, '--pub', pub);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain('not signed');

    // Signed by another key.
    const other = join(root, 'other');
    expect((await run('keys', 'generate', '--out', other)).code).toBe(0);
    expect((await run('sign', model, '--key', join(other, 'signing-key.jwk'))).code).toBe(0);
    const wrong = await run('verify', model, '--pub', pub);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('not trusted');
    expect((await run('verify', model, '--pub', pub, '--pub', join(other, 'signing-key.pub.jwk'))).code).toBe(0);
  });

  it('accepts PEM keys from openssl-style tools and signs a registry manifest into its tags', async () => {
    const root = await dir();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await writeFile(join(root, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(join(root, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const registry = new FileRegistry({ root: join(root, 'registry') });
    await registry.register({ name: 'm', artifact: { format: 'onnx', bytes: onnx(2) }, inputWidth: 3, classes: 2 });
    const manifestPath = join(root, 'registry', 'm', '1', 'manifest.json');
    const model = join(root, 'registry', 'm', '1', 'model.onnx');
    const signed = await run('sign', model, '--key', join(root, 'key.pem'), '--manifest', manifestPath);
    expect(signed.code, signed.err).toBe(0);
    // Still a valid registry manifest, now carrying the signature in its tags.
    const manifest = await registry.get('m', '1');
    expect(manifest.tags[SIGNATURE_KEY_ID_TAG]).toMatch(/^[0-9a-f]{16}$/);
    const ok = await run('verify', model, '--manifest', manifestPath, '--pub', join(root, 'pub.pem'));
    expect(ok.code, ok.err).toBe(0);
  });

  it('never re-describes a registry version whose file does not match its manifest (an encrypted artifact)', async () => {
    const root = await dir();
    expect((await run('keys', 'generate', '--out', root)).code).toBe(0);
    const registry = new FileRegistry({
      root: join(root, 'registry'),
      encryption: staticKeyProvider([['k1', generateEncryptionKey()]]),
    });
    await registry.register({ name: 'm', artifact: { format: 'onnx', bytes: onnx(3) }, inputWidth: 3, classes: 2 });
    const manifestPath = join(root, 'registry', 'm', '1', 'manifest.json');
    const before = await readFile(manifestPath, 'utf8');
    const result = await run(
      'sign',
      join(root, 'registry', 'm', '1', 'model.onnx'),
      '--key',
      join(root, 'signing-key.jwk'),
      '--manifest',
      manifestPath,
    );
    expect(result.code).toBe(1);
    expect(await readFile(manifestPath, 'utf8')).toBe(before);
  });

  it('refuses to sign what is not ONNX, and reports bad command lines with exit code 2', async () => {
    const root = await dir();
    expect((await run('keys', 'generate', '--out', root)).code).toBe(0);
    await writeFile(join(root, 'model.onnx'), 'not a model');
    const notOnnx = await run('sign', join(root, 'model.onnx'), '--key', join(root, 'signing-key.jwk'));
    expect(notOnnx.code).toBe(1);
    expect(notOnnx.err).toContain('not an ONNX model');
    expect((await run('sign', join(root, 'model.onnx'))).code).toBe(2);
    expect((await run('verify', join(root, 'model.onnx'))).code).toBe(2);
    expect((await run('keys', 'frob')).code).toBe(2);
    expect((await run('sign', '--bogus')).code).toBe(2);
    const help = await run('sign', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: dissonance sign');
  });

  it('keys encryption prints a key entry that DISSONANCE_ENCRYPTION_KEYS accepts', async () => {
    const { code, out } = await run('keys', 'encryption', '--id', 'k2026');
    expect(code).toBe(0);
    expect(out).toMatch(/^k2026:[A-Za-z0-9+/]{43}=\n$/);
  });
});
