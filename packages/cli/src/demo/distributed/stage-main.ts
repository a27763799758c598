import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, FunctionModel, type Engine, type TrainingExample } from '@dissonance/core';
import { FileRegistry, FileStore } from '@dissonance/node';
import { OnnxNodeRuntime } from '@dissonance/node';
import { FileDedupStore, runWorker, type Stage, type StageMeta, type WorkerHandle } from '@dissonance/node';
import { loopEngineSettings, loopTrainer, strategyOracle } from '../loop-parts.js';
import { connectBroker } from './broker.js';
import { fittedCritics, stageParts, type StageParts } from './stage-parts.js';
import { proposerName, type StageJob } from './stage-job.js';

/** Store key of the oracle's label order (the retrain stage's critics are refitted on it). */
const ORACLE_KEY = 'distributed.oracle-order';

/** Printed on stdout once the stage is subscribed: the driver waits for it. */
export const READY_LINE = 'stage-ready';

/** Store key of the critics' fit count, so a restarted retrain stage seeds their next fit as one that never stopped. */
const CRITIC_FITS_KEY = 'demo.critic_fits';
/** Env var of the fault tests: the retrain stage kills itself (SIGKILL) after storing this batch, once. */
export const CRASH_AFTER_STORE_ENV = 'DISSONANCE_STAGE_CRASH_AFTER_STORE';

/** Stops the stage on SIGTERM/SIGINT: close the worker, then its resources. */
type Closer = () => Promise<void>;

/**
 * One stage of the distributed demo in this process (`dissonance demo-stage <stage> <job JSON>`): the same
 * models, labels and trainer as the in-process demo's default strategy, split the way {@link runWorker} splits
 * the loop. Resolves when the process is told to stop.
 */
export async function runDemoStage(stage: Stage, job: StageJob): Promise<void> {
  const parts = stageParts(job);
  const transport = await connectBroker(job.broker, job.prefix, job.url);
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1, interOpNumThreads: 1 });
  const registry = new FileRegistry({ root: join(job.dir, 'registry') });
  const closers: Closer[] = [];
  let worker: WorkerHandle;
  if (stage === 'generate') {
    // refreshMs 0: the driver sends a batch only after the previous one's retrain, so the next batch must see
    // a promotion at once for the run to decide as the in-process one does.
    worker = await runWorker({
      stage,
      transport,
      proposer: { registry, name: proposerName(job), runtime, refreshMs: 0 },
    });
  } else if (stage === 'detect') {
    const { engine, afterBatch } = detectEngine(parts);
    closers.push(async () => void (await engine.stop()));
    worker = await runWorker({ stage, transport, engine, afterBatch });
  } else {
    const retrain = await retrainEngine(job, parts, runtime, registry);
    closers.push(retrain.close);
    const dedup = await FileDedupStore.open({ dir: join(job.dir, 'retrain-dedup') });
    closers.push(() => dedup.close());
    worker = await runWorker({
      stage,
      transport,
      engine: retrain.engine,
      dedup,
      retrainWhen: (meta) => meta['round'] === true,
      afterStore: async (message) => {
        await retrain.addOracle(message.meta, message.examples);
        crashOnce(job, message.meta);
      },
      beforeRetrain: () => retrain.refitCritics(),
    });
  }
  process.stdout.write(`${READY_LINE}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await worker.close();
  for (const close of closers) await close();
  await transport.close();
}

/**
 * Detect + reconcile: an engine that never runs its proposer (the generate stage's outputs come with each
 * message), with the demo's critics, detector, gates and per-batch oracle quota. At a round's end the critics
 * are refitted on every oracle label so far, as the in-process demo does.
 */
function detectEngine(parts: StageParts): { engine: Engine; afterBatch: (m: { meta: StageMeta }) => StageMeta } {
  const { data, strategy, settings, labelled, streamRow } = parts;
  const critics = fittedCritics(parts);
  const oracleIds: string[] = [];
  let sent = 0;
  const labels = strategyOracle(data, strategy, {
    budget: parts.budget,
    batches: parts.batches,
    streamRow,
    onLabel: (ids) => oracleIds.push(...ids),
  });
  const proposer = new FunctionModel({
    name: 'proposer-elsewhere',
    version: 'external',
    inputWidth: data.width,
    classes: data.classes,
    run: async (_x, rows) => new Float32Array(rows * data.classes).fill(1 / data.classes),
  });
  const engine = createEngine({
    modelName: 'detect-stage',
    proposer,
    critics,
    detector: strategy.detector,
    labels,
    golden: data.golden,
    policy: settings.policy,
    retrain: { everyExamples: 0 },
    rollout: { canaryFraction: 0 },
    concurrency: 1,
  });
  const afterBatch = (message: { meta: StageMeta }): StageMeta => {
    // The oracle ids of this batch, in the order the oracle gave them: the retrain stage adds them to its
    // critics' rows in the same order.
    const fresh = oracleIds.slice(sent);
    sent = oracleIds.length;
    if (message.meta['round'] === true) {
      for (const id of oracleIds.slice(labelled.rows - data.seedSet.rows)) {
        const r = streamRow.get(id)!;
        labelled.add(data.stream.x.subarray(r * data.width, (r + 1) * data.width), data.stream.labels[r]!);
      }
      critics.forEach((c) => c.refit(labelled));
    }
    return { oracle: fresh.join(' ') };
  };
  return { engine, afterBatch };
}

/** Retrain: the demo's engine over the run's file registry and durable store; its critics follow the oracle. */
async function retrainEngine(job: StageJob, parts: StageParts, runtime: OnnxNodeRuntime, registry: FileRegistry) {
  const { data, strategy, settings, labelled } = parts;
  const store = await FileStore.open({ dir: join(job.dir, 'store') });
  if ((await store.countExamples()) === 0) await store.appendExamples(parts.seedExamples);
  const critics = fittedCritics(parts);
  const bytes = new Uint8Array(readFileSync(join(job.dir, 'proposer.onnx')));
  const proposer = await runtime.loadBytes(bytes, {
    name: proposerName(job),
    version: 'seed-set',
    inputWidth: data.width,
    classes: data.classes,
  });
  const engine = createEngine({
    modelName: proposerName(job),
    proposer,
    critics,
    detector: strategy.detector,
    trainer: loopTrainer(parts.settings, runtime),
    runtime,
    registry,
    store,
    ...loopEngineSettings(data, settings),
  });
  await engine.ready();
  // The critics' rows: the seed set, then the oracle's labels in the order it gave them. Kept in the store so
  // a restarted stage (after a crash) refits the same critics as one that never stopped.
  const oracleOrder = ((await store.getValue(ORACLE_KEY)) as string[] | undefined) ?? [];
  const known = new Set<string>();
  const held = new Map((await store.examples()).map((e) => [e.id, e]));
  const addRow = (example: TrainingExample | undefined): void => {
    if (example === undefined || known.has(example.id) || example.target.kind !== 'hard') return;
    known.add(example.id);
    labelled.add(example.x, example.target.label);
  };
  for (const id of oracleOrder) addRow(held.get(id));
  // The critics' fit count (each fit's seed derives from it) goes on where the stopped stage left it.
  const fits = await store.getValue(CRITIC_FITS_KEY);
  if (typeof fits === 'number') critics.forEach((c) => c.restoreFits(fits));
  return {
    engine,
    addOracle: async (meta: StageMeta, examples: readonly TrainingExample[]) => {
      const byId = new Map(examples.map((e) => [e.id, e]));
      const ids = typeof meta['oracle'] === 'string' && meta['oracle'] !== '' ? meta['oracle'].split(' ') : [];
      const fresh = ids.filter((id) => byId.has(id) && !known.has(id));
      for (const id of fresh) addRow(byId.get(id));
      if (fresh.length > 0) {
        oracleOrder.push(...fresh);
        await store.setValue(ORACLE_KEY, oracleOrder);
      }
    },
    refitCritics: async () => {
      critics.forEach((c) => c.refit(labelled));
      await store.setValue(CRITIC_FITS_KEY, critics[0]?.fits ?? 0);
    },
    close: async () => {
      await engine.stop();
      await store.close();
    },
  };
}

/** The fault tests' crash: SIGKILL right after the effect, before the ack, once per run folder. */
function crashOnce(job: StageJob, meta: StageMeta): void {
  const at = process.env[CRASH_AFTER_STORE_ENV];
  if (at === undefined || String(meta['seq']) !== at) return;
  const marker = join(job.dir, `crashed-after-store-${at}`);
  if (existsSync(marker)) return;
  writeFileSync(marker, String(process.pid));
  process.kill(process.pid, 'SIGKILL');
}
