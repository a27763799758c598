import { tableFromIPC } from 'apache-arrow';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import { describe, expect, it } from 'vitest';
import { jobStaging } from '../src/job-staging.js';
import {
  decodeJobPointer,
  encodeJob,
  inputShapeOf,
  remoteTrainer,
  type ObjectStore,
  type TrainingJob,
} from '../src/index.js';

const job: TrainingJob = {
  jobId: 'j-1',
  model: 'm',
  baseVersion: '1',
  baseSha256: '',
  width: 2,
  classes: 2,
  ids: ['a', 'b'],
  x: Float32Array.from([1, 2, 3, 4]),
  labels: [1, 0],
  targets: Float32Array.from([0, 1, 1, 0]),
  weights: Float64Array.from([1, 1]),
  provenance: ['{}', '{}'],
  criticProbs: [],
  reference: new Float32Array(0),
  referenceRows: 0,
  referenceProbs: new Float32Array(0),
  constraints: { dTarget: 0.1, lambdaMax: 1, klEps: 0.05, seed: 1, divergence: 'jensen-shannon' },
  deadlineMs: 0,
};

/** An object store in a Map, with `mem://` URIs. */
function memoryStore(): ObjectStore & { readonly objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    uriOf: (key) => `mem://${key}`,
    put: (key, bytes) => (objects.set(`mem://${key}`, bytes.slice()), Promise.resolve(`mem://${key}`)),
    get: (uri) => Promise.resolve(objects.get(uri)),
    delete: (uri) => (objects.delete(uri), Promise.resolve()),
  };
}

const metaOf = (bytes: Uint8Array) => tableFromIPC(bytes).schema.metadata;

describe('jobStaging', () => {
  it("a URI-only result naming another object than the job's result URI is refused, nothing read", async () => {
    const store = memoryStore();
    const staging = jobStaging({ store, prefix: 'p' });
    await staging.encode(job);
    store.objects.set('mem://p/other/secret', Uint8Array.from([1, 2, 3]));
    const sha256 = await sha256Hex(Uint8Array.from([1, 2, 3]));
    await expect(
      staging.resolve(job, { jobId: 'j-1', sha256, uri: 'mem://p/other/secret', report: { loss: [] } }),
    ).rejects.toMatchObject({ code: 'E_TRAINER', message: expect.stringMatching(/not the one the job assigned/) });
    expect(staging.objects.fetched).toBe(0);
  });

  it('without a store: the job inline, a URI-only result refused naming the option to set', async () => {
    const staging = jobStaging(undefined);
    const body = await staging.encode(job);
    expect(body).toEqual(encodeJob(job));
    expect(metaOf(body).has('dissonance.result_uri')).toBe(false);
    await expect(
      staging.resolve(job, { jobId: 'j-1', sha256: 'ab', uri: 's3://b/k', report: { loss: [] } }),
    ).rejects.toMatchObject({
      code: 'E_TRAINER',
      message: expect.stringMatching(/only a URI \(s3:\/\/b\/k\).*snapshots\.store/),
    });
  });

  it('under overBytes: the job inline, naming its result URI; nothing put', async () => {
    const store = memoryStore();
    const staging = jobStaging({ store, prefix: 'p' });
    const body = await staging.encode(job);
    expect(metaOf(body).get('dissonance.result_uri')).toBe('mem://p/j-1/result.onnx');
    expect(metaOf(body).get('dissonance.format')).toBe('dissonance-training-job/1');
    expect(store.objects.size).toBe(0);
  });

  it('over overBytes: the job put under {prefix}{jobId}/job.arrow and a pointer sent with its sha256 and size; cleanup deletes it', async () => {
    const store = memoryStore();
    const staging = jobStaging({ store, overBytes: 0, prefix: 'jobs/' });
    const body = await staging.encode(job);
    const stored = store.objects.get('mem://jobs/j-1/job.arrow')!;
    expect(metaOf(stored).get('dissonance.job_id')).toBe('j-1');
    expect(decodeJobPointer(body)).toEqual({
      jobId: 'j-1',
      uri: 'mem://jobs/j-1/job.arrow',
      sha256: await sha256Hex(stored),
      size: stored.length,
    });
    expect(body.length).toBeLessThan(stored.length);
    store.objects.set('mem://jobs/j-1/result.onnx', new Uint8Array([1]));
    await staging.cleanup('j-1');
    expect(store.objects.size).toBe(0);
    expect(staging.objects).toMatchObject({ put: 1, deleted: 2, deleteFailed: 0 });
  });

  it('resolves a URI-only result from the store, checking its sha256; refuses a mismatch and a missing object', async () => {
    const store = memoryStore();
    const staging = jobStaging({ store });
    const onnx = new Uint8Array([1, 2, 3]);
    const uri = 'mem://dissonance-jobs/j-1/result.onnx';
    store.objects.set(uri, onnx);
    const sha256 = await sha256Hex(onnx);
    const report = { loss: [] };
    expect((await staging.resolve(job, { jobId: 'j-1', sha256, uri, report })).onnx).toEqual(onnx);
    await expect(staging.resolve(job, { jobId: 'j-1', sha256: '0'.repeat(64), uri, report })).rejects.toMatchObject({
      code: 'E_TRAINER',
      details: { uri, sha256, declared: '0'.repeat(64) },
    });
    store.objects.delete(uri);
    await expect(staging.resolve(job, { jobId: 'j-1', sha256, uri, report })).rejects.toMatchObject({
      code: 'E_TRAINER',
      message: expect.stringContaining(`${uri} is missing`),
    });
  });

  it('a failed delete is counted, never thrown', async () => {
    const store = { ...memoryStore(), delete: () => Promise.reject(new Error('down')) };
    const staging = jobStaging({ store, overBytes: 0 });
    await staging.encode(job);
    await expect(staging.cleanup('j-1')).resolves.toBeUndefined();
    expect(staging.objects).toMatchObject({ deleted: 0, deleteFailed: 2 });
  });

  it('refuses bad options with E_CONFIG', () => {
    const runtime = { name: 'none', supports: () => false, load: () => Promise.reject(new Error('unused')) };
    const http = { url: 'http://127.0.0.1:1' };
    expect(() => remoteTrainer({ runtime, http, snapshots: { store: memoryStore(), overBytes: -1 } })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG' }),
    );
    expect(() => remoteTrainer({ runtime, http, snapshots: { store: {} as ObjectStore } })).toThrow(/has no put\(\)/);
  });
});

describe('inputShapeOf', () => {
  const model = (inputWidth: number, inputShape?: unknown) =>
    ({
      name: 'm',
      version: '1',
      inputWidth,
      classes: 2,
      run: () => Promise.resolve(new Float32Array(0)),
      inputShape,
    }) as never;
  it('carries a declared multi-axis shape whose product is the width, and nothing otherwise', () => {
    expect(inputShapeOf(model(64, [1, 8, 8]))).toEqual({ inputShape: [1, 8, 8] });
    expect(inputShapeOf(model(64, [64]))).toEqual({});
    expect(inputShapeOf(model(64))).toEqual({});
    expect(inputShapeOf(model(64, [2, 8, 8]))).toEqual({});
    expect(inputShapeOf(model(64, [1, 'H', 8]))).toEqual({});
  });
});
