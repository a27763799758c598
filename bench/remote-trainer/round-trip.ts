/**
 * Job round trip: what the channel adds to a remote retrain, per channel (HTTP, RabbitMQ, NATS JetStream, Redis
 * Streams).
 *
 *   npx tsx bench/remote-trainer/round-trip.ts [--channels http,amqp,nats,redis] [--jobs 10] [--rows 2000]
 *                                             [--width 64] [--classes 10] [--snapshots-over BYTES] [--json]
 *
 * Each job is `rows × width` float32 examples of `classes` classes, two critics' probabilities on them and 200
 * reference rows (2,000 × 64: about 0.75 MB of Arrow IPC). For each channel a real `dissonance-trainer` worker
 * runs the reference scikit-learn refit (`round_trip_handlers:timed_refit`), which times itself. One untimed
 * job, then `jobs` timed ones, one after the other: `total` is the wall time of `trainer.fit()` (build and
 * encode the job, send, the worker decodes, trains, encodes, answers, the candidate is loaded and probed), and
 * `transport = total − handler` is everything but the training: what a remote trainer costs over calling the
 * handler in process. Medians; target: transport ≤ 1000 ms. Every broker name has a fresh prefix, deleted
 * afterwards. `--snapshots-over BYTES`: jobs over that size go through moto's S3 (`snapshots: { store:
 * S3ObjectStore }`, the worker with `--s3-endpoint`), only a pointer on the channel — how a job over NATS' 1 MiB
 * `max_payload` travels; the S3 put and get then count as transport. `--json` prints one JSON document on stdout
 * (progress goes to stderr).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createAmqpTransport } from '../../packages/adapters/amqp/src/index.js';
import { createNatsTransport } from '../../packages/adapters/nats/src/index.js';
import { createRedisTransport } from '../../packages/adapters/redis/src/index.js';
import {
  buildJob,
  encodeJob,
  remoteTrainer,
  type RemoteTrainerOptions,
} from '../../packages/adapters/remote-trainer/src/index.js';
import type { TrainConstraints, TrainingExample, Transport } from '../../packages/core/src/index.js';
import { createPrng, initMlp, MlpModel } from '../../packages/core/src/mlp.js';
import { OnnxNodeRuntime } from '../../packages/node/src/index.js';
import { purgePrefix } from '../../packages/adapters/amqp/test/broker.js';
import { deleteStreams } from '../../packages/adapters/nats/test/nats-fixture.js';
import { adminClient, deletePrefix } from '../../packages/adapters/redis/test/redis-env.js';
import { S3ObjectStore } from '../../packages/adapters/s3/src/index.js';
import { ensureMoto, MOTO, motoClient } from '../../packages/adapters/s3/test/moto.js';

type Channel = 'http' | 'amqp' | 'nats' | 'redis';
const CHANNELS: readonly Channel[] = ['http', 'amqp', 'nats', 'redis'];
const TARGET_MS = 1000;
const root = fileURLToPath(new URL('../../', import.meta.url));

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}
const json = process.argv.includes('--json');
const channels = option('channels', CHANNELS.join(',')).split(',') as Channel[];
const jobs = Number(option('jobs', '10'));
const rows = Number(option('rows', '2000'));
const width = Number(option('width', '64'));
const classes = Number(option('classes', '10'));
const snapshotsOver = process.argv.includes('--snapshots-over') ? Number(option('snapshots-over', '0')) : undefined;
const AWS_TEST = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };
for (const c of channels) if (!CHANNELS.includes(c)) throw new Error(`--channels: unknown ${c}`);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const URLS: Record<Exclude<Channel, 'http'>, string> = {
  amqp: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: 'nats://127.0.0.1:4222',
  redis: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
};

/** Starts a worker and resolves with it and the line it printed once ready. */
function startWorker(args: readonly string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(
    `${root}.venv/bin/python`,
    [
      '-m',
      'dissonance_trainer',
      '--handler',
      'round_trip_handlers:timed_refit',
      ...args,
      ...(snapshotsOver === undefined ? [] : ['--s3-endpoint', MOTO.endpoint]),
    ],
    {
      env: {
        ...process.env,
        ...(snapshotsOver === undefined ? {} : AWS_TEST),
        PYTHONPATH: [`${root}python/src`, fileURLToPath(new URL('.', import.meta.url))].join(':'),
        OMP_NUM_THREADS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const line = /dissonance-trainer: (listening on \S+|consuming [^\n]+)/.exec(output)?.[1];
      if (line !== undefined) resolve({ child, line });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
}

async function openTransport(channel: Exclude<Channel, 'http'>, prefix: string): Promise<Transport> {
  if (channel === 'amqp') return createAmqpTransport({ url: URLS.amqp, prefix });
  if (channel === 'nats') return createNatsTransport({ servers: '127.0.0.1:4222', prefix });
  return createRedisTransport({ url: URLS.redis, prefix });
}

async function cleanUp(channel: Exclude<Channel, 'http'>, prefix: string): Promise<void> {
  if (channel === 'amqp') await purgePrefix(prefix);
  else if (channel === 'nats') await deleteStreams(prefix.replace(/[_.]/g, (c) => (c === '_' ? '__' : '_d')));
  else {
    const admin = adminClient();
    await deletePrefix(admin, prefix).finally(() => admin.quit());
  }
}

/** The job's inputs: a champion, two critics, `rows` labelled examples, 200 reference rows. */
function workload(): { base: MlpModel; examples: TrainingExample[]; constraints: TrainConstraints } {
  const model = (name: string, seed: number): MlpModel =>
    new MlpModel(initMlp({ inputWidth: width, hidden: [16], classes, seed }), { name, version: '1' });
  const prng = createPrng(7);
  const examples: TrainingExample[] = Array.from({ length: rows }, (_, i) => {
    const label = i % classes;
    const x = Float32Array.from({ length: width }, (_, j) => (j % classes === label ? 1.5 : 0) + prng.next() - 0.5);
    return {
      id: `item-${i}`,
      x,
      target: { kind: 'hard', label },
      weight: 1,
      provenance: { itemId: `item-${i}`, origin: 'oracle', dissonance: 0.2, proposerVersion: '1', at: 0 },
    };
  });
  const reference = Float32Array.from({ length: 200 * width }, () => prng.next() - 0.5);
  const constraints: TrainConstraints = {
    dTarget: 0.1,
    lambdaMax: 0.05,
    klEps: 1,
    critics: [model('critic-a', 2), model('critic-b', 3)],
    detector: { name: 'jensen-shannon' } as TrainConstraints['detector'],
    reference: { x: reference, rows: 200 },
    seed: 1,
  };
  return { base: model('bench', 1), examples, constraints };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface ChannelResult {
  readonly channel: Channel;
  /** Why the channel could not run the jobs (e.g. a job over NATS' max_payload), when it could not. */
  readonly error?: string;
  readonly jobs: number;
  readonly totalMs: number;
  readonly handlerMs: number;
  readonly transportMs: number;
  readonly transportMsMax: number;
  readonly meetsTarget: boolean;
}

async function measure(channel: Channel): Promise<ChannelResult> {
  const prefix = `bench-rt-${Math.random().toString(36).slice(2, 10)}`;
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
  let transport: Transport | undefined;
  let worker: ChildProcess | undefined;
  try {
    let options: Pick<RemoteTrainerOptions, 'http' | 'transport'>;
    if (channel === 'http') {
      const started = await startWorker(['--http', '0']);
      worker = started.child;
      options = { http: { url: started.line.replace('listening on ', '') } };
    } else {
      worker = (await startWorker(['--broker', URLS[channel], '--prefix', prefix])).child;
      transport = await openTransport(channel, prefix);
      options = { transport: { transport } };
    }
    const snapshots =
      snapshotsOver === undefined
        ? undefined
        : {
            store: new S3ObjectStore({ client: motoClient(), bucket: MOTO.bucket }),
            overBytes: snapshotsOver,
            prefix: `${prefix}/`,
          };
    const trainer = remoteTrainer({
      runtime,
      timeoutMs: 120_000,
      retries: 0,
      ...options,
      ...(snapshots === undefined ? {} : { snapshots }),
    });
    const { base, examples, constraints } = workload();
    const totals: number[] = [];
    const handlers: number[] = [];
    for (let i = 0; i <= jobs; i++) {
      const started = performance.now();
      const candidate = await trainer.fit(base, examples, constraints);
      const total = performance.now() - started;
      const handler = candidate.report.extra?.['handler_ms'] ?? Number.NaN;
      await candidate.model.dispose?.();
      if (i === 0) continue; // warm-up
      totals.push(total);
      handlers.push(handler);
      log(`${channel} job ${i}: total ${total.toFixed(0)} ms, handler ${handler.toFixed(0)} ms`);
    }
    await trainer.close();
    const overheads = totals.map((t, i) => t - handlers[i]!);
    const transportMs = median(overheads);
    return {
      channel,
      jobs,
      totalMs: Math.round(median(totals)),
      handlerMs: Math.round(median(handlers)),
      transportMs: Math.round(transportMs),
      transportMsMax: Math.round(Math.max(...overheads)),
      meetsTarget: transportMs <= TARGET_MS,
    };
  } finally {
    worker?.kill('SIGKILL');
    await transport?.close();
    if (channel !== 'http') await cleanUp(channel, prefix).catch(() => undefined);
  }
}

if (snapshotsOver !== undefined) await ensureMoto();
const results: ChannelResult[] = [];
for (const channel of channels) {
  try {
    results.push(await measure(channel));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${channel}: failed: ${message}`);
    results.push({
      channel,
      error: message,
      jobs: 0,
      totalMs: NaN,
      handlerMs: NaN,
      transportMs: NaN,
      transportMsMax: NaN,
      meetsTarget: false,
    });
  }
}
const sample = workload();
const jobBytes = encodeJob(await buildJob(sample.base, sample.examples, sample.constraints, 'size', 0)).byteLength;
const document = {
  bench: 'remote-trainer-round-trip',
  job: { rows, width, classes, critics: 2, referenceRows: 200, bytes: jobBytes },
  snapshotsOverBytes: snapshotsOver ?? null,
  targetMs: TARGET_MS,
  results,
};
if (json) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
else {
  log(`\njob ${rows} × ${width}, ${classes} classes, ${jobBytes} bytes; medians over ${jobs} jobs (after one warm-up)`);
  log('channel | total ms | handler ms | transport ms (median) | max | ≤ 1000 ms');
  for (const r of results)
    if (r.error !== undefined) log(`${r.channel} | failed: ${r.error}`);
    else
      log(
        `${r.channel} | ${r.totalMs} | ${r.handlerMs} | ${r.transportMs} | ${r.transportMsMax} | ${r.meetsTarget ? 'yes' : 'NO'}`,
      );
}
process.exit(0);
