import { expectCode } from '@dissonance/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/index.js';
import { ensureMoto, MOTO, motoClient } from './moto.js';

describe('S3ObjectStore against moto', () => {
  const client = motoClient();
  const prefix = `object-store-test/${globalThis.crypto.randomUUID()}`;
  let store: S3ObjectStore;
  beforeAll(async () => {
    await ensureMoto();
    store = new S3ObjectStore({ client, bucket: MOTO.bucket, prefix });
  }, 120_000);
  afterAll(() => client.destroy());

  it('puts bytes under the prefix, reads them back by URI, deletes them; a missing object reads as undefined', async () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251);
    const uri = await store.put('job-1/job.arrow', bytes);
    expect(uri).toBe(`s3://${MOTO.bucket}/${prefix}/job-1/job.arrow`);
    expect(store.uriOf('job-1/job.arrow')).toBe(uri);
    expect(await store.get(uri)).toEqual(bytes);
    await store.delete(uri);
    expect(await store.get(uri)).toBeUndefined();
    await expect(store.delete(uri)).resolves.toBeUndefined();
  });

  it('refuses a URI of another bucket (E_INPUT), a missing bucket option (E_CONFIG)', async () => {
    await expectCode(store.get('s3://another-bucket/key'), 'E_INPUT');
    await expectCode(store.delete('https://example.com/key'), 'E_INPUT');
    expect(() => new S3ObjectStore({ bucket: '' })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('reports S3 failures as E_STORE naming the operation (a bucket that does not exist)', async () => {
    const missing = new S3ObjectStore({ client, bucket: 'no-such-bucket-for-object-store' });
    const error = await expectCode(missing.put('k', new Uint8Array([1])), 'E_STORE');
    expect(error.message).toMatch(/PutObject k failed with HTTP 404/);
  });
});
