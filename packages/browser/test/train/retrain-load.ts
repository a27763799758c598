/**
 * The long-task test's scenario, run in the test page: the retrain-load scenario (bench/retrain-load) served
 * from the page's main thread, with the built-in trainer in a module Web Worker (`workerTrainer`) or on the
 * main thread, while a PerformanceObserver records every long task.
 */
import { isDissonanceError, proposerVsCritics, totalVariation } from '@dissonance/core';
import { createMlpTrainer, type PooledTrainer } from '@dissonance/core/mlp';
import { workerTrainer } from '../../src/index.js';
import { batch, scenarioEngine, smallMlp, blobs32, WIDTH } from '../../../../bench/retrain-load/scenario.js';

/** The trainer's worker module, served (and compiled from TypeScript) by vitest's Vite server. */
const TRAIN_WORKER = new URL('../../src/train/train-worker.ts', import.meta.url);

/** Resolves on the next macrotask (a page answering events between batches). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** What one run saw. */
export interface RetrainLoadResult {
  readonly retrains: number;
  readonly settled: number;
  readonly batches: number;
  /** Long tasks (> 50 ms) on the main thread while serving: start and duration in ms. */
  readonly longTasks: Array<{ start: number; duration: number }>;
  readonly errors: string[];
}

/** A worker that keeps one core busy for `ms` (the CPU a trainer worker takes, without any retrain). */
function spinWorker(ms: number): Worker {
  const source = 'onmessage = (e) => { const end = Date.now() + e.data; while (Date.now() < end) {} postMessage(0); };';
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  worker.postMessage(ms);
  return worker;
}

/**
 * Serves the scenario for `seconds` with the trainer in a worker (`worker`), on the main thread (`main`),
 * none (`none`), or none but a worker spinning on a core as a trainer would (`busy`, the control).
 */
export async function runRetrainLoad(options: {
  seconds: number;
  mode: 'worker' | 'main' | 'none' | 'busy';
}): Promise<RetrainLoadResult> {
  const trainer =
    options.mode === 'worker'
      ? workerTrainer('builtin', { workerUrl: TRAIN_WORKER })
      : options.mode === 'main'
        ? createMlpTrainer()
        : undefined;
  const engine = scenarioEngine(smallMlp('load', 3), trainer, undefined);
  let retrains = 0;
  let settled = 0;
  const errors: string[] = [];
  engine.on('retrained', () => retrains++);
  engine.on('promoted', () => settled++);
  engine.on('rolledBack', () => settled++);
  engine.on('error', (event) => errors.push(event.error.message));
  await engine.ready();
  // The worker starts once (script fetch and compile), not per retrain: start it before observing.
  if (options.mode === 'worker') await warmUp(trainer as PooledTrainer);
  // Warm up (JIT) before observing.
  let i = 0;
  for (; i < 50; i++) {
    await engine.process(batch(i));
    await nextTask();
  }
  const longTasks: Array<{ start: number; duration: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      longTasks.push({ start: Math.round(entry.startTime), duration: Math.round(entry.duration) });
  });
  observer.observe({ type: 'longtask' });
  const spinner = options.mode === 'busy' ? spinWorker(options.seconds * 1000) : undefined;
  const until = performance.now() + options.seconds * 1000;
  while (performance.now() < until) {
    await engine.process(batch(i++));
    await nextTask();
  }
  await engine.stop({ retrain: 'abandon' });
  spinner?.terminate();
  await new Promise((resolve) => setTimeout(resolve, 200));
  observer.disconnect();
  if (options.mode === 'worker') await (trainer as PooledTrainer).close();
  return { retrains, settled, batches: i, longTasks, errors };
}

/** One small fit, so that the trainer's worker is running before the observed window. */
async function warmUp(trainer: PooledTrainer): Promise<void> {
  await trainer.fit(smallMlp('load', 3), tinyExamples(), tinyConstraints());
}

function tinyExamples() {
  const { x, labels } = blobs32(9, 50);
  return Array.from({ length: 50 }, (_, r) => ({
    id: `m${r}`,
    x: x.slice(r * WIDTH, (r + 1) * WIDTH),
    target: { kind: 'hard' as const, label: labels[r]! },
    weight: 1,
    provenance: { itemId: `m${r}`, origin: 'oracle' as const, dissonance: 0, proposerVersion: '1', at: 0 },
  }));
}

function tinyConstraints() {
  return {
    dTarget: 0.12,
    lambdaMax: 0.05,
    klEps: 0.05,
    critics: [],
    detector: proposerVsCritics(totalVariation),
    reference: { x: new Float32Array(0), rows: 0 },
    seed: 1,
  };
}

/** A fit on a worker whose script is missing: the error's code. */
export async function fitWithMissingWorker(): Promise<string> {
  const trainer = workerTrainer('builtin', { workerUrl: '/no-such-worker.js' });
  try {
    await trainer.fit(smallMlp('p', 3), tinyExamples(), tinyConstraints());
    return 'resolved';
  } catch (error) {
    return isDissonanceError(error) ? `${error.code} ${trainer.stats().failures}` : String(error);
  }
}
