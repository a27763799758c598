import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import { goldenAccuracy } from '@dissonance/core';
import { OnnxNodeRuntime } from '@dissonance/node';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeResult, remoteTrainer, type RemoteTrainerOptions } from '../src/index.js';
import { blobs, loop, randomModel, type Loop } from './fixtures.js';
import { hasPython, startWorker, type Worker } from './worker.js';

const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
const workers: Worker[] = [];
const loops: Loop[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.engine.stop()));
  await Promise.all(workers.splice(0).map((w) => w.kill()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function worker(handler: string, options: Parameters<typeof startWorker>[1] = {}): Promise<Worker> {
  const started = await startWorker(handler, options);
  workers.push(started);
  return started;
}

async function engineWith(options: Omit<RemoteTrainerOptions, 'runtime'>) {
  const trainer = remoteTrainer({ runtime, retryDelayMs: 200, ...options });
  const l = await loop(trainer);
  loops.push(l);
  return { trainer, ...l };
}

const golden = blobs(150, 11);

/** The state a refused or failed retrain must leave untouched. */
async function snapshot(l: Loop) {
  return {
    champion: l.engine.championVersion,
    examples: await l.store.countExamples(),
    versions: (await l.registry.list('blobs')).items.length,
  };
}

describe.skipIf(!hasPython)('remoteTrainer against a real dissonance-trainer worker', () => {
  it.each(['poll', 'wait'] as const)(
    'an engine retrains through the scikit-learn refit handler and promotes the candidate, validated on its golden set (http.mode %s)',
    async (mode) => {
      const w = await worker('refit');
      const l = await engineWith({ http: { url: w.url, mode }, timeoutMs: 60_000 });
      const before = await goldenAccuracy(randomModel('blobs', 1), { x: golden.x, rows: 150, labels: golden.labels });
      const accuracies: (number | undefined)[] = [];
      l.engine.on('retrained', (event) => accuracies.push(event.goldenAccuracy));
      const parent = l.engine.championVersion;
      await l.feed(150);
      await l.engine.retrainNow();
      expect(l.errors).toEqual([]);
      expect(l.promoted).toHaveLength(1);
      expect(l.engine.championVersion).not.toBe(parent);
      expect(accuracies).toHaveLength(1);
      expect(accuracies[0]).toBeGreaterThan(Math.max(0.9, before));
      const champion = await l.registry.fetch('blobs', l.engine.championVersion);
      // The registry holds the worker's ONNX bytes, recorded with the handler's parameters and the job id.
      expect(champion.manifest.params).toMatchObject({
        trainer: 'sklearn-refit',
        estimator: 'LogisticRegression',
        jobId: expect.any(String),
      });
      expect(champion.manifest.lineage).toMatchObject({ parent, examples: 150 });
      expect(l.trainer.jobs).toMatchObject({ sent: 1, completed: 1, retried: 0, timedOut: 0, refused: 0 });
    },
  );

  it('an engine retrains through the PyTorch fine-tune handler (ADR loss on the critics, KL guard on the reference rows) and promotes', async () => {
    const checkpoints = mkdtempSync(join(tmpdir(), 'remote-checkpoints-'));
    try {
      const w = await worker('torch_mlp', { env: { DISSONANCE_TRAINER_CHECKPOINTS: checkpoints } });
      const l = await engineWith({ http: { url: w.url }, timeoutMs: 120_000 });
      const accuracies: (number | undefined)[] = [];
      l.engine.on('retrained', (event) => accuracies.push(event.goldenAccuracy));
      await l.feed(150);
      await l.engine.retrainNow();
      expect(l.errors).toEqual([]);
      expect(l.promoted).toHaveLength(1);
      expect(accuracies[0]).toBeGreaterThan(0.9);
      const champion = await l.registry.fetch('blobs', l.engine.championVersion);
      expect(champion.manifest.params).toMatchObject({ init: 'factory', jobId: expect.any(String) });
      // The worker checkpointed the weights under the sha256 of the ONNX it returned: the registered bytes.
      expect(readdirSync(checkpoints).some((file) => file.includes(champion.manifest.sha256))).toBe(true);
    } finally {
      rmSync(checkpoints, { recursive: true, force: true });
    }
  });

  it('the worker down past the timeout: E_TRAINER_TIMEOUT, the champion keeps serving, and the next retrain goes through', async () => {
    const slow = await worker('slow', { env: { SLOW_SECONDS: '60' } });
    const l = await engineWith({ http: { url: slow.url }, timeoutMs: 1500, retries: 1 });
    await l.feed(90);
    const before = await snapshot(l);
    await l.engine.retrainNow();
    expect(l.errors.map((e) => e.code)).toEqual(['E_TRAINER_TIMEOUT']);
    expect(l.errors[0]!.details).toMatchObject({ attempts: 2, timedOut: true, model: 'blobs' });
    expect(await snapshot(l)).toEqual(before);
    expect(l.trainer.jobs).toMatchObject({ sent: 1, retried: 1, timedOut: 1, completed: 0 });
    // The champion still serves.
    const served = await l.engine.process({ x: Float32Array.from([2, 0, 0, 0]), rows: 1, ids: ['served'] });
    expect(served).toBeDefined();
    expect(l.engine.championVersion).toBe(before.champion);
    // The worker comes back: the next retrain (the same replay buffer) is promoted.
    await slow.kill();
    await worker('refit', { port: slow.port });
    await l.engine.retrainNow();
    expect(l.promoted).toHaveLength(1);
  });

  it('the worker SIGKILLed mid-job: the retry reuses the job id against a restarted worker and the candidate is registered once', async () => {
    const first = await worker('slow', { env: { SLOW_SECONDS: '60' } });
    const ids: string[] = [];
    const l = await engineWith({
      http: { url: first.url },
      timeoutMs: 60_000,
      retries: 20,
      retryDelayMs: 500,
      onRetry: (info) => ids.push(info.jobId),
    });
    await l.feed(90);
    const versions = (await l.registry.list('blobs')).items.length;
    const retrain = l.engine.retrainNow();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await first.kill();
    await worker('refit', { port: first.port });
    await retrain;
    expect(l.errors).toEqual([]);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ids).size).toBe(1);
    expect(l.promoted).toHaveLength(1);
    expect((await l.registry.list('blobs')).items.length).toBe(versions + 1);
    expect(l.trainer.jobs).toMatchObject({ sent: 1, completed: 1, timedOut: 0 });
  });

  it('the worker SIGKILLed and not restarted: E_TRAINER_TIMEOUT after the retries, nothing lost', async () => {
    const w = await worker('slow', { env: { SLOW_SECONDS: '60' } });
    const l = await engineWith({ http: { url: w.url }, timeoutMs: 60_000, retries: 2 });
    await l.feed(60);
    const before = await snapshot(l);
    const retrain = l.engine.retrainNow();
    await new Promise((resolve) => setTimeout(resolve, 800));
    await w.kill();
    await retrain;
    expect(l.errors.map((e) => e.code)).toEqual(['E_TRAINER_TIMEOUT']);
    expect(l.errors[0]!.details).toMatchObject({ attempts: 3, timedOut: false });
    expect(await snapshot(l)).toEqual(before);
  });

  it.each([
    ['truncated', /does not load/],
    ['narrow', /does not load/],
    ['nan', /non-finite/],
  ])(
    'a bad candidate from the %s handler is refused with E_TRAINER; champion, registry and replay buffer unchanged',
    async (handler, message) => {
      const w = await worker(handler);
      const l = await engineWith({ http: { url: w.url }, timeoutMs: 60_000 });
      await l.feed(90);
      const before = await snapshot(l);
      await l.engine.retrainNow();
      expect(l.errors).toHaveLength(1);
      expect(l.errors[0]).toMatchObject({ code: 'E_TRAINER', message: expect.stringMatching(message) });
      expect(await snapshot(l)).toEqual(before);
      expect(l.trainer.jobs).toMatchObject({ sent: 1, refused: 1, completed: 0 });
    },
  );

  it('a job the handler refuses (a snapshot missing a class: 422) fails the fit with E_TRAINER naming the status', async () => {
    const w = await worker('refit');
    const l = await engineWith({ http: { url: w.url }, timeoutMs: 60_000 });
    // Two items of classes 0 and 1 only: the refit handler cannot output three classes.
    await l.engine.feedback(
      [
        { id: 'a', features: [2, 0, 0, 0], label: 0 },
        { id: 'b', features: [0, 2, 0, 0], label: 1 },
      ],
      { who: 'tests', retrainEvery: 0 },
    );
    const before = await snapshot(l);
    await l.engine.retrainNow();
    expect(l.errors).toHaveLength(1);
    expect(l.errors[0]).toMatchObject({ code: 'E_TRAINER', details: { status: 422 } });
    expect(await snapshot(l)).toEqual(before);
  });
});

/** A stand-in worker answering every job with `answer(jobId, body)`: results the Python worker would never write. */
async function fakeWorker(answer: (jobId: string) => Promise<Uint8Array>): Promise<string> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      // The job id is schema metadata; the fake only needs it as text.
      const jobId =
        /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(body.toString('latin1'))?.[0] ?? '';
      void answer(jobId).then((bytes) => {
        response.writeHead(200, {
          'content-type': 'application/vnd.apache.arrow.stream',
          'content-length': bytes.length,
        });
        response.end(bytes);
      });
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('remoteTrainer refuses results that do not answer its job', () => {
  const onnx = (): Uint8Array => randomModel('blobs', 5).artifact.bytes;

  it.each([
    [
      'another job id',
      async (jobId: string) => {
        const bytes = onnx();
        return encodeResult({
          jobId: `${jobId}-other`,
          sha256: await sha256Hex(bytes),
          onnx: bytes,
          report: { loss: [] },
        });
      },
      /answers job/,
    ],
    [
      'a wrong digest',
      async (jobId: string) => encodeResult({ jobId, sha256: '0'.repeat(64), onnx: onnx(), report: { loss: [] } }),
      /sha256/,
    ],
    [
      'a URI only',
      async (jobId: string) =>
        encodeResult({ jobId, sha256: '0'.repeat(64), uri: 's3://bucket/key', report: { loss: [] } }),
      /URI/,
    ],
    [
      'bytes that are not a result',
      async () => Uint8Array.from([1, 2, 3]),
      /not an Arrow IPC stream|dissonance\.format/,
    ],
  ])('%s: E_TRAINER, champion, registry and replay buffer unchanged', async (_, answer, message) => {
    const url = await fakeWorker(answer);
    const l = await engineWith({ http: { url }, timeoutMs: 10_000 });
    await l.feed(30);
    const before = await snapshot(l);
    await l.engine.retrainNow();
    expect(l.errors).toHaveLength(1);
    expect(l.errors[0]).toMatchObject({ code: 'E_TRAINER', message: expect.stringMatching(message) });
    expect(await snapshot(l)).toEqual(before);
    expect(l.trainer.jobs).toMatchObject({ sent: 1, refused: 1, completed: 0 });
  });

  it('a second fit for the same model supersedes the first: its late result is discarded', async () => {
    let calls = 0;
    const url = await fakeWorker(async (jobId) => {
      const delay = calls++ === 0 ? 1500 : 0;
      await new Promise((resolve) => setTimeout(resolve, delay));
      const bytes = onnx();
      return encodeResult({ jobId, sha256: await sha256Hex(bytes), onnx: bytes, report: { loss: [] } });
    });
    const trainer = remoteTrainer({ runtime, http: { url }, timeoutMs: 10_000 });
    const base = randomModel('blobs', 1);
    const data = blobs(6, 3);
    const examples = Array.from({ length: 6 }, (_, i) => ({
      id: `e${i}`,
      x: data.x.slice(i * 4, i * 4 + 4),
      target: { kind: 'hard' as const, label: data.labels[i]! },
      weight: 1,
      provenance: { itemId: `e${i}`, origin: 'oracle' as const, dissonance: 0.1, proposerVersion: '0', at: 0 },
    }));
    const constraints = {
      dTarget: 0.1,
      lambdaMax: 1,
      klEps: 1,
      critics: [],
      detector: { name: 'jensen-shannon' } as never,
      reference: { x: new Float32Array(0), rows: 0 },
      seed: 1,
    };
    const first = trainer.fit(base, examples, constraints).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await trainer.fit(base, examples, constraints);
    expect(await first).toMatchObject({ code: 'E_TRAINER', details: { cancelled: true } });
    expect(second.model.classes).toBe(3);
    expect(trainer.jobs).toMatchObject({ sent: 2, completed: 1, superseded: 1 });
  });

  it('an aborted signal cancels the request', async () => {
    const url = await fakeWorker(() => new Promise(() => undefined));
    const trainer = remoteTrainer({ runtime, http: { url }, timeoutMs: 10_000 });
    const controller = new AbortController();
    const examples = [
      {
        id: 'e',
        x: new Float32Array(4),
        target: { kind: 'hard' as const, label: 0 },
        weight: 1,
        provenance: { itemId: 'e', origin: 'oracle' as const, dissonance: 0, proposerVersion: '0', at: 0 },
      },
    ];
    const fit = trainer.fit(randomModel('blobs', 1), examples, {
      dTarget: 0.1,
      lambdaMax: 1,
      klEps: 1,
      critics: [],
      detector: { name: 'x' } as never,
      reference: { x: new Float32Array(0), rows: 0 },
      seed: 1,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('abandoned')), 200);
    await expect(fit).rejects.toMatchObject({ code: 'E_TRAINER', details: { cancelled: true } });
  });
});
