import { createAmqpTransport } from '@dissonance/adapter-amqp';
import { createNatsTransport } from '@dissonance/adapter-nats';
import { createRedisTransport } from '@dissonance/adapter-redis';
import { randomId, type RolledBackEvent, type Transport } from '@dissonance/core';
import { createEnvelope, sha256Hex } from '@dissonance/core/adapter-kit';
import { OnnxNodeRuntime } from '@dissonance/node';
import { afterEach, describe, expect, it } from 'vitest';
import { purgePrefix } from '../../amqp/test/broker.js';
import { deleteStreams } from '../../nats/test/nats-fixture.js';
import { adminClient, deletePrefix } from '../../redis/test/redis-env.js';
import {
  DEFAULT_JOBS_TOPIC,
  DEFAULT_RESULTS_TOPIC,
  JOB_ENVELOPE_TYPE,
  RESULT_ENVELOPE_TYPE,
  encodeResult,
  remoteTrainer,
  type JobMessage,
  type RemoteTrainerOptions,
  type TrainingResult,
} from '../src/index.js';
import { loop, randomModel, type Loop } from './fixtures.js';
import { hasPython, startBrokerWorker, type BrokerWorker } from './worker.js';

/** One broker: the worker's URL, a transport under `prefix`, and how to delete what a test left there. */
interface Broker {
  readonly name: 'amqp' | 'nats' | 'redis';
  readonly url: string;
  open(prefix: string): Promise<Transport>;
  cleanup(prefix: string): Promise<void>;
}

const BROKERS: readonly Broker[] = [
  {
    name: 'amqp',
    url: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    open: (prefix) =>
      createAmqpTransport({ url: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672', prefix }),
    cleanup: (prefix) => purgePrefix(prefix),
  },
  {
    name: 'nats',
    url: 'nats://127.0.0.1:4222',
    open: (prefix) => createNatsTransport({ servers: '127.0.0.1:4222', prefix }),
    cleanup: (prefix) => deleteStreams(prefix.replace(/[_.]/g, (c) => (c === '_' ? '__' : '_d'))),
  },
  {
    name: 'redis',
    url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    open: (prefix) => createRedisTransport({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', prefix }),
    cleanup: async (prefix) => {
      const admin = adminClient();
      try {
        await deletePrefix(admin, prefix);
      } finally {
        await admin.quit();
      }
    },
  },
];

const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** A fresh prefix, a transport on it, and an engine whose trainer sends jobs through that transport. */
async function setup(broker: Broker, options: Partial<Omit<RemoteTrainerOptions, 'runtime' | 'transport'>> = {}) {
  const prefix = `rt-${randomId()
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)}`;
  cleanups.push(() => broker.cleanup(prefix));
  const transport = await broker.open(prefix);
  cleanups.push(() => transport.close());
  const trainer = remoteTrainer({
    runtime,
    retryDelayMs: 200,
    timeoutMs: 60_000,
    transport: { transport },
    ...options,
  });
  cleanups.push(() => trainer.close());
  const l = await loop(trainer);
  cleanups.push(async () => {
    await l.engine.stop();
  });
  const rolledBack: RolledBackEvent[] = [];
  l.engine.on('rolledBack', (event) => rolledBack.push(event));
  const workers: BrokerWorker[] = [];
  const worker = async (handler: string, env: Record<string, string> = {}): Promise<BrokerWorker> => {
    const started = await startBrokerWorker(handler, broker.url, { prefix, env });
    workers.push(started);
    cleanups.push(() => started.kill());
    return started;
  };
  return { prefix, transport, trainer, rolledBack, worker, ...l };
}

/** The state a refused or failed retrain must leave untouched. */
async function state(l: Loop) {
  return {
    champion: l.engine.championVersion,
    examples: await l.store.countExamples(),
    versions: (await l.registry.list('blobs')).items.length,
  };
}

/** A stand-in worker on the transport that answers each job with `answer(jobId)`: results no real worker writes. */
async function fakeWorker(
  transport: Transport,
  answer: (jobId: string) => Promise<readonly { jobId: string; result: TrainingResult }[]>,
): Promise<void> {
  const subscription = await transport.subscribe<JobMessage>(
    DEFAULT_JOBS_TOPIC,
    async ({ envelope }) => {
      if (envelope.type !== JOB_ENVELOPE_TYPE) return;
      for (const { jobId, result } of await answer(envelope.payload.jobId)) {
        const payload = { jobId, result: encodeResult(result) };
        await transport.publish(envelope.payload.replyTo, createEnvelope(RESULT_ENVELOPE_TYPE, payload));
      }
    },
    { group: 'dissonance-trainer', prefetch: 1 },
  );
  cleanups.push(() => subscription.close());
}

const onnx = (): Uint8Array => randomModel('blobs', 5).artifact.bytes;

describe.skipIf(!hasPython).each(BROKERS)(
  'remoteTrainer over $name with real dissonance-trainer --broker workers',
  (broker) => {
    it('happy path: job → worker → result → candidate validated on the golden set and promoted', async () => {
      const t = await setup(broker);
      await t.worker('refit');
      const accuracies: (number | undefined)[] = [];
      t.engine.on('retrained', (event) => accuracies.push(event.goldenAccuracy));
      const parent = t.engine.championVersion;
      await t.feed(150);
      await t.engine.retrainNow();
      expect(t.errors).toEqual([]);
      expect(t.promoted).toHaveLength(1);
      expect(accuracies[0]).toBeGreaterThan(0.9);
      const champion = await t.registry.fetch('blobs', t.engine.championVersion);
      expect(champion.manifest.params).toMatchObject({ trainer: 'sklearn-refit', jobId: expect.any(String) });
      expect(champion.manifest.lineage).toMatchObject({ parent, examples: 150 });
      expect(t.trainer.jobs).toMatchObject({
        sent: 1,
        completed: 1,
        retried: 0,
        timedOut: 0,
        refused: 0,
        discarded: 0,
      });
    });

    it('the worker SIGKILLed mid-job: a new worker gets the redelivered job and the candidate is registered once', async () => {
      const t = await setup(broker, { retries: 0 });
      const first = await t.worker('slow', { SLOW_SECONDS: '120' });
      await t.feed(90);
      const versions = (await t.registry.list('blobs')).items.length;
      const retrain = t.engine.retrainNow();
      await first.printed(/slow: started job/);
      await first.kill();
      const second = await t.worker('refit');
      await retrain;
      expect(t.errors).toEqual([]);
      expect(t.promoted).toHaveLength(1);
      expect((await t.registry.list('blobs')).items.length).toBe(versions + 1);
      // One publication, no retry: the broker redelivered the unacked job to the new worker.
      expect(t.trainer.jobs).toMatchObject({ sent: 1, completed: 1, retried: 0, timedOut: 0 });
      expect(second.output()).not.toMatch(/Traceback/);
    });

    it('the worker down past the timeout: E_TRAINER_TIMEOUT, the champion keeps serving, and the retrain goes through once a worker is up', async () => {
      const t = await setup(broker, { timeoutMs: 1500, retries: 1 });
      // A worker ran once (its group exists), then went away.
      await (await t.worker('refit')).kill();
      await t.feed(90);
      const before = await state(t);
      await t.engine.retrainNow();
      expect(t.errors.map((e) => e.code)).toEqual(['E_TRAINER_TIMEOUT']);
      expect(t.errors[0]!.details).toMatchObject({ attempts: 2, timedOut: true, model: 'blobs' });
      expect(await state(t)).toEqual(before);
      expect(t.trainer.jobs).toMatchObject({ sent: 1, retried: 1, timedOut: 1, completed: 0 });
      const served = await t.engine.process({ x: Float32Array.from([2, 0, 0, 0]), rows: 1, ids: ['served'] });
      expect(served).toBeDefined();
      expect(t.engine.championVersion).toBe(before.champion);
      // A worker comes up: the queued job is past its deadline (dropped unanswered), the next retrain is promoted.
      await t.worker('refit');
      await t.engine.retrainNow();
      expect(t.promoted).toHaveLength(1);
      expect((await t.registry.list('blobs')).items.length).toBe(before.versions + 1);
      expect(t.trainer.jobs).toMatchObject({ sent: 2, completed: 1 });
    });

    it.each([
      [
        'another job id inside the result',
        async (jobId: string) => {
          const bytes = onnx();
          return [
            {
              jobId,
              result: { jobId: `${jobId}-other`, sha256: await sha256Hex(bytes), onnx: bytes, report: { loss: [] } },
            },
          ];
        },
        /answers job/,
      ],
      [
        'a wrong digest',
        (jobId: string) =>
          Promise.resolve([{ jobId, result: { jobId, sha256: '0'.repeat(64), onnx: onnx(), report: { loss: [] } } }]),
        /sha256/,
      ],
    ])('%s: E_TRAINER, champion, registry and replay buffer unchanged', async (_, answer, message) => {
      const t = await setup(broker, { timeoutMs: 20_000 });
      await fakeWorker(t.transport, answer);
      await t.feed(30);
      const before = await state(t);
      await t.engine.retrainNow();
      expect(t.errors).toHaveLength(1);
      expect(t.errors[0]).toMatchObject({ code: 'E_TRAINER', message: expect.stringMatching(message) });
      expect(await state(t)).toEqual(before);
      expect(t.trainer.jobs).toMatchObject({ sent: 1, refused: 1, completed: 0 });
    });

    it('results for other job ids (late, superseded, another engine’s) and duplicates are discarded and counted', async () => {
      const t = await setup(broker, { timeoutMs: 20_000 });
      await fakeWorker(t.transport, async (jobId) => {
        const bytes = onnx();
        const result = { jobId, sha256: await sha256Hex(bytes), onnx: bytes, report: { loss: [] } };
        const stray = { jobId: 'no-such-job', sha256: result.sha256, onnx: bytes, report: { loss: [] } };
        return [
          { jobId: 'no-such-job', result: stray },
          { jobId, result },
          { jobId, result },
        ];
      });
      await t.feed(30);
      await t.engine.retrainNow();
      expect(t.errors).toEqual([]);
      expect(t.trainer.jobs).toMatchObject({ sent: 1, completed: 1, refused: 0 });
      // The stray one arrives first; the duplicate after the job finished (wait for it).
      for (let i = 0; i < 100 && t.trainer.jobs.discarded < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(t.trainer.jobs.discarded).toBe(2);
    });
  },
);

it('a job over NATS’ max_payload (1 MiB by default) fails at once with E_TRAINER 413, not after every retry', async () => {
  const nats = BROKERS.find((b) => b.name === 'nats')!;
  const prefix = `rt-${randomId()
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)}`;
  cleanups.push(() => nats.cleanup(prefix));
  const transport = await nats.open(prefix);
  cleanups.push(() => transport.close());
  const trainer = remoteTrainer({ runtime, transport: { transport }, timeoutMs: 5000, retries: 3, retryDelayMs: 10 });
  cleanups.push(() => trainer.close());
  const long = 'x'.repeat(300);
  const examples = Array.from({ length: 4000 }, (_, i) => ({
    id: `e${i}`,
    x: Float32Array.from([i % 3 === 0 ? 2 : 0, i % 3 === 1 ? 2 : 0, i % 3 === 2 ? 2 : 0, 0]),
    target: { kind: 'hard' as const, label: i % 3 },
    weight: 1,
    provenance: { itemId: `${long}${i}`, origin: 'oracle' as const, dissonance: 0.1, proposerVersion: '0', at: 0 },
  }));
  const fit = trainer.fit(randomModel('blobs', 1), examples, {
    dTarget: 0.1,
    lambdaMax: 1,
    klEps: 1,
    critics: [],
    detector: { name: 'jensen-shannon' } as never,
    reference: { x: new Float32Array(0), rows: 0 },
    seed: 1,
  });
  await expect(fit).rejects.toMatchObject({ code: 'E_TRAINER', details: { status: 413 } });
  expect(trainer.jobs).toMatchObject({ sent: 1, retried: 0, refused: 1, timedOut: 0 });
});

describe.skipIf(!hasPython)('bad candidates from a real worker over redis are refused', () => {
  const redis = BROKERS.find((b) => b.name === 'redis')!;

  it.each([
    ['truncated', /does not load/],
    ['narrow', /does not load/],
    ['two_classes', /does not load|→ 2/],
    ['nan', /non-finite/],
  ])('%s: E_TRAINER; champion, registry and replay buffer unchanged', async (handler, message) => {
    const t = await setup(redis);
    await t.worker(handler);
    await t.feed(90);
    const before = await state(t);
    await t.engine.retrainNow();
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'E_TRAINER', message: expect.stringMatching(message) });
    expect(await state(t)).toEqual(before);
    expect(t.trainer.jobs).toMatchObject({ sent: 1, refused: 1, completed: 0 });
  });

  it('a job the handler refuses (a snapshot missing a class) comes back as a refusal: E_TRAINER with status 422, no timeout', async () => {
    const t = await setup(redis);
    await t.worker('refit');
    await t.engine.feedback(
      [
        { id: 'a', features: [2, 0, 0, 0], label: 0 },
        { id: 'b', features: [0, 2, 0, 0], label: 1 },
      ],
      { who: 'tests', retrainEvery: 0 },
    );
    const before = await state(t);
    await t.engine.retrainNow();
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'E_TRAINER', details: { status: 422 } });
    expect(await state(t)).toEqual(before);
    expect(t.trainer.jobs).toMatchObject({ sent: 1, refused: 1, timedOut: 0 });
  });

  it('a candidate that fails the golden guard is rolled back at validation: champion and replay buffer unchanged', async () => {
    const t = await setup(redis);
    await t.worker('flipped');
    await t.feed(90);
    const before = await state(t);
    await t.engine.retrainNow();
    expect(t.promoted).toHaveLength(0);
    expect(t.rolledBack).toHaveLength(1);
    expect(t.rolledBack[0]).toMatchObject({ stage: 'validate' });
    expect(t.engine.championVersion).toBe(before.champion);
    expect(await t.store.countExamples()).toBe(before.examples);
    expect(t.trainer.jobs).toMatchObject({ sent: 1, completed: 1 });
  });
});

it('remoteTrainer takes exactly one of http and transport', () => {
  expect(() => remoteTrainer({ runtime })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }) as Error);
  expect(() =>
    remoteTrainer({ runtime, http: { url: 'http://127.0.0.1:1' }, transport: { transport: {} as Transport } }),
  ).toThrow(expect.objectContaining({ code: 'E_CONFIG' }) as Error);
  expect(DEFAULT_RESULTS_TOPIC).toBe('train.results');
});
