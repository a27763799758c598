import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DissonanceError, goldenAccuracy, randomId, type Transport } from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import {
  OnnxNodeRuntime,
  STAGE_MESSAGE_TYPES,
  STAGE_TOPICS,
  decodeProgress,
  encodeItems,
  type ProgressMessage,
} from '@dissonance/node';
import { fitSeedProposer } from '../seed-proposer.js';
import { runStrategy } from '../strategy-run.js';
import { connectBroker, type BrokerKind } from './broker.js';
import { proposerName, type StageJob } from './stage-job.js';
import { stageParts } from './stage-parts.js';
import { StageProcess } from './stage-process.js';

/** Options of {@link runDistributedDemo}. */
export interface DistributedDemoOptions {
  readonly broker: BrokerKind;
  /** Broker URL; the local default of each broker when absent. */
  readonly url?: string;
  /** Data set (`digits` default). */
  readonly dataset?: string;
  readonly dataDir?: string;
  /** Seed of the split, the models and the oracle (default 1). */
  readonly seed?: number;
  /** Oracle labels as a share of the stream (default 0.15, as the demo). */
  readonly budget?: number;
  /** Run folder (registry, store, logs). */
  readonly dir: string;
  /** The command that starts this CLI (`[node, ...execArgv, cli]`); the stages run as `… demo-stage`. */
  readonly command: readonly string[];
  /** Also run the same seed in process and report both accuracies (default true). */
  readonly compare?: boolean;
  /** Extra environment of the stage processes (fault tests). */
  readonly stageEnv?: NodeJS.ProcessEnv;
  /** Called after each batch's progress report (fault tests kill a stage from here). */
  readonly onProgress?: (progress: ProgressMessage, stages: readonly StageProcess[]) => void;
}

/** What a distributed run measured. */
export interface DistributedDemoResult {
  readonly broker: BrokerKind;
  readonly batches: number;
  readonly items: number;
  /** Golden accuracy of the final champion. */
  readonly final: number;
  /** Golden accuracy of the seed-set proposer. */
  readonly seedOnly: number;
  /** The same seed's final accuracy in one process (when compared). */
  readonly inProcessFinal?: number;
  /** Golden accuracy of each of the in-process run's candidates, in order (when compared). */
  readonly inProcessRetrainAccuracy?: readonly number[];
  readonly champion: string;
  /** Retrains in order: candidate, decision, golden accuracy. */
  readonly retrains: readonly NonNullable<ProgressMessage['retrain']>[];
  /** Stage restarts after a worker died. */
  readonly restarts: Readonly<Record<string, number>>;
  /** Wall time of the streamed part and its items per second. */
  readonly wallMs: number;
  readonly itemsPerSecond: number;
}

/**
 * The demo's default strategy on one seed, with generate, detect + reconcile and retrain in three worker
 * processes over a real broker. This process streams the batches and waits for each batch's progress report
 * before it sends the next (lockstep), so the run makes the same decisions as the in-process demo and reaches
 * the same final golden accuracy; it also restarts any stage that dies (the broker redelivers what it held).
 */
export async function runDistributedDemo(options: DistributedDemoOptions): Promise<DistributedDemoResult> {
  const job: StageJob = {
    broker: options.broker,
    ...(options.url === undefined ? {} : { url: options.url }),
    prefix: `dissonance-dist-${randomId().slice(0, 8)}`,
    dataset: options.dataset ?? 'digits',
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    seed: options.seed ?? 1,
    budget: options.budget ?? 0.15,
    dir: options.dir,
  };
  const parts = stageParts(job);
  const { data, settings } = parts;
  await mkdir(job.dir, { recursive: true });
  const proposerBytes = fitSeedProposer(data, settings, proposerName(job));
  await writeFile(join(job.dir, 'proposer.onnx'), proposerBytes);
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1, interOpNumThreads: 1 });
  const seedModel = await runtime.loadBytes(proposerBytes, {
    name: proposerName(job),
    version: 'seed-set',
    inputWidth: data.width,
    classes: data.classes,
  });
  const seedOnly = await goldenAccuracy(seedModel, data.golden);
  await seedModel.dispose?.();

  const transport = await connectBroker(job.broker, job.prefix, job.url);
  const env = { ...process.env, ...options.stageEnv };
  // Retrain first: it registers the seed proposer as champion, which the generate stage serves.
  const stages = (['retrain', 'detect', 'generate'] as const).map(
    (stage) => new StageProcess(stage, options.command, job, env),
  );
  const retrains: NonNullable<ProgressMessage['retrain']>[] = [];
  let wallMs = 0;
  let champion = '';
  try {
    for (const stage of stages) await stage.start();
    const progress = progressWaiter(transport);
    await progress.ready;
    const started = performance.now();
    for (let b = 0; b < parts.batches; b++) {
      const start = b * settings.batch;
      const rows = Math.min(settings.batch, data.stream.rows - start);
      const round = (b + 1) % settings.retrainEveryBatches === 0 || b === parts.batches - 1;
      const batch = {
        x: data.stream.x.subarray(start * data.width, (start + rows) * data.width),
        rows,
        ids: data.stream.ids.slice(start, start + rows),
      };
      const envelope = createEnvelope(
        STAGE_MESSAGE_TYPES.items,
        encodeItems({ batch, meta: { seq: b, round } }, data.width),
        { id: `${job.prefix}-b${b}` },
      );
      await transport.publish(STAGE_TOPICS.items, envelope);
      const report = await progress.next(b);
      if (report.retrain !== undefined) retrains.push(report.retrain);
      champion = report.champion;
      options.onProgress?.(report, stages);
    }
    wallMs = performance.now() - started;
    await progress.close();
  } finally {
    for (const stage of stages) await stage.stop();
    await transport.close();
  }
  const accuracyOf = new Map<string, number>();
  for (const r of retrains) if (r.goldenAccuracy !== undefined) accuracyOf.set(r.candidate, r.goldenAccuracy);
  const final = accuracyOf.get(champion) ?? seedOnly;
  let inProcessFinal: number | undefined;
  let inProcessRetrainAccuracy: number[] | undefined;
  if (options.compare !== false) {
    const run = await runStrategy({
      dataset: job.dataset,
      data,
      strategy: parts.strategy,
      settings,
      budget: parts.budget,
      proposer: proposerBytes,
      runtime,
      dir: join(job.dir, 'in-process'),
    });
    inProcessFinal = run.final;
    inProcessRetrainAccuracy = run.versions.filter((v) => v.decision !== 'initial').map((v) => v.goldenAccuracy);
  }
  return {
    broker: job.broker,
    batches: parts.batches,
    items: data.stream.rows,
    final,
    seedOnly,
    ...(inProcessFinal === undefined ? {} : { inProcessFinal }),
    ...(inProcessRetrainAccuracy === undefined ? {} : { inProcessRetrainAccuracy }),
    champion,
    retrains,
    restarts: Object.fromEntries(stages.map((s) => [s.stage, s.restarts])),
    wallMs,
    itemsPerSecond: data.stream.rows / (wallMs / 1000),
  };
}

/** Subscribes to the progress topic and hands out each batch's report once, duplicates dropped. */
function progressWaiter(transport: Transport): {
  ready: Promise<void>;
  next(seq: number, timeoutMs?: number): Promise<ProgressMessage>;
  close(): Promise<void>;
} {
  const reports = new Map<number, ProgressMessage>();
  let wake: (() => void) | undefined;
  const subscription = transport.subscribe(
    STAGE_TOPICS.progress,
    async (delivery) => {
      const report = decodeProgress(delivery.envelope.payload);
      const seq = report.meta['seq'];
      if (typeof seq === 'number' && !reports.has(seq)) reports.set(seq, report);
      wake?.();
    },
    { group: 'dissonance-driver', prefetch: 16 },
  );
  return {
    ready: subscription.then(() => undefined),
    async next(seq, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const report = reports.get(seq);
        if (report !== undefined) return report;
        if (Date.now() > deadline)
          throw new DissonanceError('E_WORKER', `no progress report for batch ${seq} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
    },
    async close() {
      await (await subscription).close();
    },
  };
}
