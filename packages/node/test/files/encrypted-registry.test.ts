import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvelopeCipher, generateEncryptionKey, staticKeyProvider, type RegisterInput } from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { expectCode, registryContract } from '@dissonance/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRegistry } from '../../src/files/file-registry.js';
import { SECRET_FEATURES, leaks, rawFiles } from '../security/plaintext-scan.js';
import { tempDir } from './fixtures/temp-dir.js';

const K1 = generateEncryptionKey();
const K2 = generateEncryptionKey();
const keys = staticKeyProvider([['k1', K1]]);

registryContract('file (encrypted)', async () => {
  const dir = await tempDir('registry-enc');
  const cipher = new EnvelopeCipher(keys);
  return {
    registry: new FileRegistry({ root: dir.path, encryption: keys }),
    /**
     * Someone holding the key swaps one bit of the plaintext and re-encrypts: the envelope authenticates, so it
     * is the sha256 check beneath the encryption that must catch it.
     */
    tamper: async (name, version) => {
      const path = join(dir.path, name, version, 'model.onnx');
      const plain = await cipher.open(await readFile(path));
      plain[0] = (plain[0] ?? 0) ^ 1;
      await writeFile(path, await cipher.seal(plain));
    },
    cleanup: dir.remove,
  };
});

/** An ONNX MLP whose first layer's weights hold the secret feature values, plus the values themselves. */
function secretArtifact(): RegisterInput {
  const weights = initMlp({ inputWidth: SECRET_FEATURES.length, hidden: [2], classes: 2, seed: 3 });
  weights.layers[0]!.weight.set(SECRET_FEATURES);
  return {
    name: 'secret',
    artifact: { format: 'onnx', bytes: writeOnnxMlp(weights) },
    inputWidth: SECRET_FEATURES.length,
    classes: 2,
  };
}

describe('FileRegistry with encryption at rest', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });
  async function root(): Promise<string> {
    const made = await tempDir('registry-enc');
    dirs.push(made);
    return made.path;
  }

  it('artifact files hold no plaintext weights or features (the same scan finds them unencrypted), and fetch returns the bytes', async () => {
    const input = secretArtifact();
    const plainRoot = await root();
    await new FileRegistry({ root: plainRoot }).register(input);
    expect(leaks(await rawFiles(plainRoot), SECRET_FEATURES).length).toBeGreaterThan(0);

    const encRoot = await root();
    const registry = new FileRegistry({ root: encRoot, encryption: keys });
    const manifest = await registry.register(input);
    expect(leaks(await rawFiles(encRoot), SECRET_FEATURES)).toEqual([]);
    const raw = await readFile(join(encRoot, 'secret', '1', 'model.onnx'));
    expect(EnvelopeCipher.isSealed(raw)).toBe(true);
    const { artifact } = await registry.fetch('secret', manifest.version);
    expect(artifact.bytes).toEqual(input.artifact.bytes);
    expect(manifest.size).toBe(input.artifact.bytes.length);
  });

  it('reads artifacts written under a rotated-out key id; new ones use the current key', async () => {
    const path = await root();
    await new FileRegistry({ root: path, encryption: staticKeyProvider([['k1', K1]]) }).register(secretArtifact());
    const rotated = new FileRegistry({
      root: path,
      encryption: staticKeyProvider([
        ['k2', K2],
        ['k1', K1],
      ]),
    });
    await rotated.register(secretArtifact());
    const keyId = async (version: string): Promise<string> =>
      (await readFile(join(path, 'secret', version, 'model.onnx'))).subarray(6, 8).toString('utf8');
    expect([await keyId('1'), await keyId('2')]).toEqual(['k1', 'k2']);
    expect((await rotated.fetch('secret', '1')).artifact.bytes).toEqual(secretArtifact().artifact.bytes);
    expect((await rotated.fetch('secret', '2')).artifact.bytes).toEqual(secretArtifact().artifact.bytes);
    await expectCode(
      new FileRegistry({ root: path, encryption: staticKeyProvider([['k2', K2]]) }).fetch('secret', '1'),
      'E_DECRYPT',
    );
  });

  it('a flipped ciphertext byte is E_DECRYPT; an encrypted artifact without keys is E_DECRYPT too', async () => {
    const path = await root();
    const registry = new FileRegistry({ root: path, encryption: keys });
    await registry.register(secretArtifact());
    const file = join(path, 'secret', '1', 'model.onnx');
    const sealed = await readFile(file);
    for (const at of [5, 8, 30, sealed.length - 1]) {
      const damaged = Buffer.from(sealed);
      damaged[at] = (damaged[at] ?? 0) ^ 0x10;
      await writeFile(file, damaged);
      await expectCode(registry.fetch('secret', '1'), 'E_DECRYPT');
    }
    await writeFile(file, sealed);
    await expectCode(new FileRegistry({ root: path }).fetch('secret', '1'), 'E_DECRYPT');
    await expect(registry.fetch('secret', '1')).resolves.toBeDefined();
  });
});
