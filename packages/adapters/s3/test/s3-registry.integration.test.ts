import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type RegisterInput } from '@dissonance/core';
import { expectCode, registryContract } from '@dissonance/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Registry, type S3RegistryOptions } from '../src/index.js';
import { MOTO, ensureMoto, motoClient } from './moto.js';

const RUN = `test-s3-registry/${globalThis.crypto.randomUUID()}/`;
let client: S3Client;

beforeAll(async () => {
  await ensureMoto();
  client = motoClient();
});

afterAll(() => {
  client.destroy();
});

function registry(options: Partial<S3RegistryOptions> = {}): S3Registry {
  return new S3Registry({ client, bucket: MOTO.bucket, prefix: RUN, ...options });
}

function input(name: string, size = 16): RegisterInput {
  const bytes = new Uint8Array(size);
  globalThis.crypto.getRandomValues(bytes);
  return { name, artifact: { format: 'onnx', bytes }, inputWidth: 4, classes: 3 };
}

function modelName(): string {
  return `m-${globalThis.crypto.randomUUID()}`;
}

registryContract('s3', () =>
  Promise.resolve({
    registry: registry(),
    tamper: async (name: string, version: string) => {
      const key = `${RUN}models/${name}/${version}/model.onnx`;
      const stored = await client.send(new GetObjectCommand({ Bucket: MOTO.bucket, Key: key }));
      const bytes = await stored.Body!.transformToByteArray();
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      await client.send(new PutObjectCommand({ Bucket: MOTO.bucket, Key: key, Body: bytes }));
    },
  }),
);

describe('S3Registry on moto', () => {
  it('stores the documented layout: artifact, manifest and alias objects', async () => {
    const reg = registry();
    const name = modelName();
    const manifest = await reg.register(input(name));
    await reg.setAlias(name, 'champion', '1');
    const text = async (key: string): Promise<string> => {
      const out = await client.send(new GetObjectCommand({ Bucket: MOTO.bucket, Key: `${RUN}models/${name}/${key}` }));
      return out.Body!.transformToString();
    };
    expect(JSON.parse(await text('1/manifest.json'))).toEqual(manifest);
    expect(JSON.parse(await text('aliases/champion.json'))).toEqual({ version: '1' });
    expect((await text('1/model.onnx')).length).toBeGreaterThan(0);
  });

  it('two registries promoting from the same expected version: exactly one consistent champion', async () => {
    for (let round = 0; round < 5; round++) {
      const a = registry({ client: motoClient() });
      const b = registry({ client: motoClient() });
      const name = modelName();
      for (let i = 0; i < 3; i++) await a.register(input(name));
      await a.setAlias(name, 'champion', '1');
      const results = await Promise.allSettled([
        a.setAlias(name, 'champion', '2', { expected: '1' }),
        b.setAlias(name, 'champion', '3', { expected: '1' }),
      ]);
      const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i === 0 ? '2' : '3'] : []));
      const lost = results.flatMap((result) =>
        result.status === 'rejected' ? [result.reason as { code?: unknown }] : [],
      );
      expect(won).toHaveLength(1);
      expect(lost.map((error) => error.code)).toEqual(['E_REGISTRY_CONFLICT']);
      expect((await a.resolve(name, 'champion')).version).toBe(won[0]);
      expect((await b.resolve(name, 'champion')).version).toBe(won[0]);
      await a.close();
      await b.close();
    }
  });

  it('two registries creating the same alias with expected null: exactly one wins', async () => {
    const a = registry();
    const b = registry();
    const name = modelName();
    await a.register(input(name));
    await a.register(input(name));
    const results = await Promise.allSettled([
      a.setAlias(name, 'champion', '1', { expected: null }),
      b.setAlias(name, 'champion', '2', { expected: null }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = results[0]?.status === 'fulfilled' ? '1' : '2';
    expect((await b.resolve(name, 'champion')).version).toBe(winner);
  });

  it('concurrent registers from two registries get distinct version numbers', async () => {
    const a = registry({ client: motoClient() });
    const b = registry({ client: motoClient() });
    const name = modelName();
    const versions = await Promise.all([a, b, a, b, a, b].map((reg) => reg.register(input(name))));
    const numbers = versions.map((v) => v.version);
    expect(new Set(numbers).size).toBe(6);
    for (const v of versions) expect(await a.get(name, v.version)).toEqual(v);
    expect((await b.list(name)).items.map((v) => v.version)).toEqual(
      [...numbers].sort((x, y) => Number(y) - Number(x)),
    );
    await a.close();
    await b.close();
  });

  it('registry down (closed port) → E_REGISTRY_UNAVAILABLE', async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const down = new S3Registry({ bucket: MOTO.bucket, endpoint: 'http://127.0.0.1:1', forcePathStyle: true });
    await expectCode(down.ping(), 'E_REGISTRY_UNAVAILABLE');
    await expectCode(down.get('model', '1'), 'E_REGISTRY_UNAVAILABLE');
    await expectCode(down.register(input('model')), 'E_REGISTRY_UNAVAILABLE');
    await down.close();
    await expectCode(down.ping(), 'E_REGISTRY_UNAVAILABLE');
  });

  it('a missing bucket → E_REGISTRY_UNAVAILABLE from ping', async () => {
    await expectCode(registry({ bucket: `missing-${Date.now()}` }).ping(), 'E_REGISTRY_UNAVAILABLE');
  });

  it('a malformed manifest or alias object → E_MODEL', async () => {
    const reg = registry();
    const name = modelName();
    await reg.register(input(name));
    await reg.setAlias(name, 'champion', '1');
    const put = (key: string, body: string): Promise<unknown> =>
      client.send(new PutObjectCommand({ Bucket: MOTO.bucket, Key: `${RUN}models/${name}/${key}`, Body: body }));
    await put('1/manifest.json', '{"name": "not json');
    await expectCode(reg.get(name, '1'), 'E_MODEL');
    await expectCode(reg.fetch(name, '1'), 'E_MODEL');
    await expectCode(reg.list(name), 'E_MODEL');
    await put('2/manifest.json', JSON.stringify({ name, version: '2', format: 'onnx' }));
    await expectCode(reg.get(name, '2'), 'E_MODEL');
    await put('aliases/challenger.json', '[]');
    await expectCode(reg.resolve(name, 'challenger'), 'E_MODEL');
    expect((await reg.register(input(name))).version).toBe('3');
  });

  it('an oversized artifact → E_INPUT and nothing stored', async () => {
    const reg = registry({ maxArtifactBytes: 100 });
    const name = modelName();
    await expectCode(reg.register(input(name, 101)), 'E_INPUT');
    await expectCode(reg.list(name), 'E_NOT_FOUND');
    expect((await reg.register(input(name, 100))).size).toBe(100);
  });

  it("fetching an artifact larger than this reader's maxArtifactBytes → E_INPUT before it is downloaded", async () => {
    const name = modelName();
    const { version } = await registry().register(input(name, 200));
    await expectCode(registry({ maxArtifactBytes: 100 }).fetch(name, version), 'E_INPUT');
    expect((await registry({ maxArtifactBytes: 200 }).fetch(name, version)).artifact.bytes.byteLength).toBe(200);
  });

  it('an artifact format that is not a safe key part → E_INPUT', async () => {
    const bad = input(modelName());
    await expectCode(
      registry().register({ ...bad, artifact: { format: '../x', bytes: bad.artifact.bytes } }),
      'E_INPUT',
    );
  });

  it('a missing artifact → E_ARTIFACT_DIGEST', async () => {
    const reg = registry();
    const name = modelName();
    await reg.register(input(name));
    await client.send(
      new PutObjectCommand({
        Bucket: MOTO.bucket,
        Key: `${RUN}models/${name}/2/manifest.json`,
        Body: JSON.stringify({ ...(await reg.get(name, '1')), version: '2' }),
      }),
    );
    await expectCode(reg.fetch(name, '2'), 'E_ARTIFACT_DIGEST');
  });

  it('writes with server-side encryption (AES256) and reads back', async () => {
    const reg = registry({ sse: 'AES256' });
    const name = modelName();
    const manifest = await reg.register(input(name));
    const out = await client.send(
      new GetObjectCommand({ Bucket: MOTO.bucket, Key: `${RUN}models/${name}/1/model.onnx` }),
    );
    expect(out.ServerSideEncryption).toBe('AES256');
    expect((await reg.fetch(name, '1')).manifest).toEqual(manifest);
  });

  it('refuses bad options with E_CONFIG', () => {
    expect(() => new S3Registry({ bucket: '' })).toThrow(/E_CONFIG/);
    expect(() => new S3Registry({ bucket: 'b', maxArtifactBytes: 0 })).toThrow(/E_CONFIG/);
    expect(() => new S3Registry({ bucket: 'b', kmsKeyId: 'k' })).toThrow(/E_CONFIG/);
  });

  it('normalizes the prefix', () => {
    expect(new S3Registry({ client, bucket: 'b', prefix: 'team' }).prefix).toBe('team/');
    expect(new S3Registry({ client, bucket: 'b' }).prefix).toBe('');
  });
});
