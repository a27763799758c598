import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import { OnnxNodeRuntime } from '@dissonance/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../s3/src/index.js';
import { ensureMoto, MOTO, motoClient } from '../../s3/test/moto.js';
import { decodeJobPointer, remoteTrainer, type ObjectStore, type RemoteTrainerOptions } from '../src/index.js';
import { loop, type Loop } from './fixtures.js';
import { hasPython, python, pythonEnv, startWorker, type Worker } from './worker.js';

const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
const workers: Worker[] = [];
const loops: Loop[] = [];
const clients: S3Client[] = [];
/** What a worker needs to reach moto: the test credentials and, with `--s3-endpoint` or the env var, its URL. */
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };

beforeAll(async () => {
  if (hasPython) await ensureMoto();
});
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.engine.stop()));
  await Promise.all(workers.splice(0).map((w) => w.kill()));
});
afterAll(() => clients.splice(0).forEach((c) => c.destroy()));

async function worker(handler: string, args: readonly string[] = []): Promise<Worker> {
  const started = await startWorker(handler, {
    env: AWS_ENV,
    args: ['--s3-endpoint', MOTO.endpoint, ...args],
  });
  workers.push(started);
  return started;
}

/** An S3 store on moto under a fresh prefix, and the keys it holds now. */
function s3Store(): { store: S3ObjectStore; prefix: string; keys: () => Promise<string[]> } {
  const prefix = `remote-trainer-test/${globalThis.crypto.randomUUID()}/`;
  const client = motoClient();
  clients.push(client);
  const store = new S3ObjectStore({ client, bucket: MOTO.bucket });
  const keys = async (): Promise<string[]> => {
    const client = motoClient();
    try {
      const out = await client.send(new ListObjectsV2Command({ Bucket: MOTO.bucket, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key!);
    } finally {
      client.destroy();
    }
  };
  return { store, prefix, keys };
}

/** `store`, recording the keys put; `tamper` changes what is actually written. */
function recording(
  store: ObjectStore,
  tamper?: (bytes: Uint8Array) => Uint8Array | undefined,
): ObjectStore & { readonly puts: { key: string; bytes: Uint8Array }[]; readonly gets: string[] } {
  const puts: { key: string; bytes: Uint8Array }[] = [];
  const gets: string[] = [];
  return {
    puts,
    gets,
    uriOf: (key) => store.uriOf(key),
    get: (uri) => (gets.push(uri), store.get(uri)),
    delete: (uri) => store.delete(uri),
    async put(key, bytes) {
      puts.push({ key, bytes });
      const written = tamper === undefined ? bytes : tamper(bytes);
      return written === undefined ? store.uriOf(key) : store.put(key, written);
    },
  };
}

async function engineWith(options: Omit<RemoteTrainerOptions, 'runtime'>) {
  const trainer = remoteTrainer({ runtime, retryDelayMs: 200, timeoutMs: 60_000, ...options });
  const l = await loop(trainer);
  loops.push(l);
  return { trainer, ...l };
}

async function state(l: Loop) {
  return {
    champion: l.engine.championVersion,
    examples: await l.store.countExamples(),
    versions: (await l.registry.list('blobs')).items.length,
  };
}

describe.skipIf(!hasPython)('remoteTrainer: snapshots and results through S3 (moto) with a real worker', () => {
  it('a job over overBytes travels as a pointer, the worker uploads the candidate, the engine fetches, promotes and deletes both objects', async () => {
    const w = await worker('refit', ['--upload-always']);
    const { store, prefix, keys } = s3Store();
    const recorded = recording(store);
    const l = await engineWith({ http: { url: w.url }, snapshots: { store: recorded, overBytes: 1024, prefix } });
    const parent = l.engine.championVersion;
    await l.feed(150);
    await l.engine.retrainNow();
    expect(l.errors).toEqual([]);
    expect(l.promoted).toHaveLength(1);
    expect(l.engine.championVersion).not.toBe(parent);
    // One object put: the job's Arrow stream, well over the 1 KiB threshold.
    expect(recorded.puts.map((p) => p.key)).toEqual([expect.stringMatching(/^remote-trainer-test\/.+\/job\.arrow$/)]);
    expect(recorded.puts[0]!.bytes.length).toBeGreaterThan(1024);
    const champion = await l.registry.fetch('blobs', l.engine.championVersion);
    expect(champion.manifest.params).toMatchObject({ trainer: 'sklearn-refit', jobId: expect.any(String) });
    const jobId = champion.manifest.params!['jobId'] as string;
    expect(recorded.puts[0]!.key).toBe(`${prefix}${jobId}/job.arrow`);
    // The candidate came back as a URI (the worker uploaded it) and was read from the store.
    expect(recorded.gets).toEqual([`s3://${MOTO.bucket}/${prefix}${jobId}/result.onnx`]);
    expect(champion.manifest.sha256).toBe(await sha256Hex(champion.artifact.bytes));
    // The job object and the uploaded result are gone once the job completed.
    expect(await keys()).toEqual([]);
    expect(l.trainer.jobs).toMatchObject({ sent: 1, completed: 1, refused: 0 });
  });

  it('a job under overBytes goes inline and a small candidate comes back inline: nothing is put', async () => {
    const w = await worker('refit');
    const { store, prefix, keys } = s3Store();
    const recorded = recording(store);
    const l = await engineWith({ http: { url: w.url }, snapshots: { store: recorded, prefix } });
    await l.feed(60);
    await l.engine.retrainNow();
    expect(l.errors).toEqual([]);
    expect(l.promoted).toHaveLength(1);
    expect(recorded.puts).toEqual([]);
    expect(recorded.gets).toEqual([]);
    expect(await keys()).toEqual([]);
  });

  it("an uploaded candidate whose sha256 differs from the result's is refused: E_TRAINER, champion unchanged, objects deleted", async () => {
    const w = await worker('uploaded_bad_sha');
    const { store, prefix, keys } = s3Store();
    const l = await engineWith({ http: { url: w.url }, snapshots: { store, overBytes: 0, prefix } });
    await l.feed(90);
    const before = await state(l);
    await l.engine.retrainNow();
    expect(l.errors.map((e) => e.code)).toEqual(['E_TRAINER']);
    expect(l.errors[0]!.message).toMatch(
      /sha256 of the object s3:\/\/.+\/result\.onnx is [0-9a-f]{64}, the result declares 0{64}/,
    );
    expect(await state(l)).toEqual(before);
    expect(l.trainer.jobs).toMatchObject({ sent: 1, completed: 0, refused: 1 });
    expect(await keys()).toEqual([]);
  });

  it('a result naming an object that is not there is refused: E_TRAINER naming the URI', async () => {
    const w = await worker('uploaded_missing');
    const { store, prefix } = s3Store();
    const l = await engineWith({ http: { url: w.url }, snapshots: { store, overBytes: 0, prefix } });
    await l.feed(90);
    const before = await state(l);
    await l.engine.retrainNow();
    expect(l.errors.map((e) => e.code)).toEqual(['E_TRAINER']);
    expect(l.errors[0]!.message).toMatch(/the result's object s3:\/\/.+\/result\.onnx is missing/);
    expect(await state(l)).toEqual(before);
  });

  it('a snapshot object whose bytes differ from the pointer is refused by the worker (400 naming the sha256)', async () => {
    const w = await worker('refit');
    const { store, prefix, keys } = s3Store();
    const flipped = recording(store, (bytes) => {
      const copy = bytes.slice();
      copy[copy.length - 9]! ^= 0xff;
      return copy;
    });
    const l = await engineWith({ http: { url: w.url }, snapshots: { store: flipped, overBytes: 0, prefix } });
    await l.feed(90);
    const before = await state(l);
    await l.engine.retrainNow();
    expect(l.errors.map((e) => e.code)).toEqual(['E_TRAINER']);
    expect(l.errors[0]!.message).toMatch(/HTTP 400: .*sha256 of the snapshot object s3:\/\/.+\/job\.arrow is/);
    expect(await state(l)).toEqual(before);
    expect(await keys()).toEqual([]);
  });

  it('a snapshot object that is missing is refused by the worker (400 naming the URI)', async () => {
    const w = await worker('refit');
    const { store, prefix } = s3Store();
    const lost = recording(store, () => undefined);
    const l = await engineWith({ http: { url: w.url }, snapshots: { store: lost, overBytes: 0, prefix } });
    await l.feed(90);
    await l.engine.retrainNow();
    expect(l.errors.map((e) => e.code)).toEqual(['E_TRAINER']);
    expect(l.errors[0]!.message).toMatch(/HTTP 400: .*the snapshot object s3:\/\/.+\/job\.arrow is missing/);
    expect(lost.puts).toHaveLength(1);
    // What was to be put is the job's own stream (the worker got a pointer to it).
    expect(decodeJobPointer(lost.puts[0]!.bytes)).toBeUndefined();
  });
});

describe.skipIf(!hasPython)('remoteTrainer: a CNN champion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'remote-cnn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends its input shape (1, 8, 8): the worker reshapes rows to it and answers a candidate of the same shape', async () => {
    const path = join(dir, 'cnn.onnx');
    execFileSync(
      python,
      [
        '-c',
        `import torch
from dissonance_trainer import export_torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(256, 3))
open(${JSON.stringify(path)}, "wb").write(export_torch(net, 64, input_shape=(1, 8, 8)))`,
      ],
      { env: pythonEnv() },
    );
    const cnn = await runtime.loadBytes(readFileSync(path), { name: 'cnn', version: '1' });
    expect(cnn.inputShape).toEqual([1, 8, 8]);
    // The handler refuses (422) any job whose input_shape is not (1, 8, 8).
    const w = await startWorker('cnn_shape');
    workers.push(w);
    const trainer = remoteTrainer({ runtime, http: { url: w.url }, timeoutMs: 60_000 });
    const examples = Array.from({ length: 12 }, (_, i) => ({
      id: `e${i}`,
      x: Float32Array.from({ length: 64 }, (_, j) => ((i * 7 + j) % 17) / 16),
      target: { kind: 'hard' as const, label: i % 3 },
      weight: 1,
      provenance: { itemId: `e${i}`, origin: 'oracle' as const, dissonance: 0.1, proposerVersion: '1', at: 0 },
    }));
    const candidate = await trainer.fit(cnn, examples, {
      dTarget: 0.1,
      lambdaMax: 1,
      klEps: 10,
      critics: [],
      detector: { name: 'jensen-shannon' } as never,
      reference: { x: examples[0]!.x, rows: 1 },
      seed: 1,
    });
    expect(candidate.report.params).toMatchObject({ trainer: 'torch-finetune' });
    expect((candidate.model as typeof cnn).inputShape).toEqual([1, 8, 8]);
    expect(candidate.model.classes).toBe(3);
  });
});
