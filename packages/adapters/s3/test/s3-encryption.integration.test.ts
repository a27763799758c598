import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EnvelopeCipher, generateEncryptionKey, staticKeyProvider, type RegisterInput } from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { encodeFloat32 } from '@dissonance/core/adapter-kit';
import { expectCode, registryContract } from '@dissonance/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Registry, type S3RegistryOptions } from '../src/index.js';
import { MOTO, ensureMoto, motoClient } from './moto.js';

const RUN = `test-s3-encryption/${globalThis.crypto.randomUUID()}/`;
const K1 = generateEncryptionKey();
const K2 = generateEncryptionKey();
const keys = staticKeyProvider([['k1', K1]]);
/** Feature values hidden in the artifact's weights; none of their encodings may reach the bucket. */
const SECRET = Float32Array.of(0.7316284, -12.625977, 4242.4243, 0.0031415926);
let client: S3Client;

beforeAll(async () => {
  await ensureMoto();
  client = motoClient();
});

afterAll(() => {
  client.destroy();
});

function registry(options: Partial<S3RegistryOptions> = {}): S3Registry {
  return new S3Registry({ client, bucket: MOTO.bucket, prefix: RUN, encryption: keys, ...options });
}

const objectKey = (name: string, version: string): string => `${RUN}models/${name}/${version}/model.onnx`;

async function getBytes(key: string): Promise<Uint8Array> {
  const out = await client.send(new GetObjectCommand({ Bucket: MOTO.bucket, Key: key }));
  return out.Body!.transformToByteArray();
}

async function putBytes(key: string, body: Uint8Array): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: MOTO.bucket, Key: key, Body: body }));
}

registryContract('s3 (encrypted)', () =>
  Promise.resolve({
    registry: registry(),
    /** Someone holding the key changes the plaintext and re-encrypts: the sha256 check beneath must catch it. */
    tamper: async (name: string, version: string) => {
      const cipher = new EnvelopeCipher(keys);
      const plain = await cipher.open(await getBytes(objectKey(name, version)));
      plain[0] = (plain[0] ?? 0) ^ 1;
      await putBytes(objectKey(name, version), await cipher.seal(plain));
    },
  }),
);

function secretInput(name: string): RegisterInput {
  const weights = initMlp({ inputWidth: SECRET.length, hidden: [2], classes: 2, seed: 5 });
  weights.layers[0]!.weight.set(SECRET);
  return { name, artifact: { format: 'onnx', bytes: writeOnnxMlp(weights) }, inputWidth: SECRET.length, classes: 2 };
}

/** Every object under `prefix` with its bytes. */
async function objects(prefix: string): Promise<{ key: string; bytes: Buffer }[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: MOTO.bucket, Prefix: prefix }));
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => ({ key: Key!, bytes: Buffer.from(await getBytes(Key!)) })),
  );
}

function leaks(blobs: readonly { key: string; bytes: Buffer }[]): string[] {
  const patterns = [...SECRET].flatMap((value) => [
    Buffer.from(Float32Array.of(value).buffer),
    Buffer.from(String(value)),
    Buffer.from(value.toPrecision(6)),
  ]);
  patterns.push(Buffer.from(encodeFloat32(SECRET)));
  return blobs.flatMap(({ key, bytes }) =>
    patterns.filter((p) => bytes.includes(p)).map((p) => `${p.toString('hex')} in ${key}`),
  );
}

describe('S3Registry with client-side encryption on moto', () => {
  it('objects in the bucket hold no plaintext weights (the same scan finds them unencrypted); fetch returns the bytes', async () => {
    const name = `m-${globalThis.crypto.randomUUID()}`;
    const input = secretInput(name);
    await registry({ encryption: undefined, prefix: `${RUN}plain/` }).register(input);
    expect(leaks(await objects(`${RUN}plain/models/${name}/`)).length).toBeGreaterThan(0);

    const reg = registry();
    await reg.register(input);
    const stored = await objects(`${RUN}models/${name}/`);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(leaks(stored)).toEqual([]);
    expect(EnvelopeCipher.isSealed(await getBytes(objectKey(name, '1')))).toBe(true);
    expect((await reg.fetch(name, '1')).artifact.bytes).toEqual(input.artifact.bytes);
  });

  it('reads artifacts of a rotated-out key id; new ones use the current key', async () => {
    const name = `m-${globalThis.crypto.randomUUID()}`;
    await registry({ encryption: staticKeyProvider([['k1', K1]]) }).register(secretInput(name));
    const rotated = registry({
      encryption: staticKeyProvider([
        ['k2', K2],
        ['k1', K1],
      ]),
    });
    await rotated.register(secretInput(name));
    const keyIdOf = async (version: string): Promise<string> =>
      Buffer.from(await getBytes(objectKey(name, version)))
        .subarray(6, 8)
        .toString('utf8');
    expect([await keyIdOf('1'), await keyIdOf('2')]).toEqual(['k1', 'k2']);
    expect((await rotated.fetch(name, '1')).artifact.bytes).toEqual(secretInput(name).artifact.bytes);
    await expectCode(registry({ encryption: staticKeyProvider([['k2', K2]]) }).fetch(name, '1'), 'E_DECRYPT');
  });

  it('a flipped ciphertext byte is E_DECRYPT; an encrypted artifact without keys is E_DECRYPT', async () => {
    const name = `m-${globalThis.crypto.randomUUID()}`;
    const reg = registry();
    await reg.register(secretInput(name));
    const sealed = await getBytes(objectKey(name, '1'));
    const damaged = sealed.slice();
    damaged[40] = (damaged[40] ?? 0) ^ 0x01;
    await putBytes(objectKey(name, '1'), damaged);
    await expectCode(reg.fetch(name, '1'), 'E_DECRYPT');
    await putBytes(objectKey(name, '1'), sealed);
    await expectCode(registry({ encryption: undefined }).fetch(name, '1'), 'E_DECRYPT');
    await expect(reg.fetch(name, '1')).resolves.toBeDefined();
  });
});
