/**
 * Retrain without hurting serving (issue 21): the scenario — three MLPs (proposer and two critics,
 * 32 features, 4 classes), batches of 64, `retrain.everyExamples: 2000`, every item labelled — served while
 * the built-in trainer retrains on a worker thread (`threadedTrainer`), in two caller shapes:
 *
 * - service-like: a macrotask between batches (as I/O-driven requests are), with no retrain pending
 *   (`idle`: half before and half after the retraining phase, merged, so that load drift cancels out) and with
 *   continuous retraining (`retraining`);
 * - tight: a pipeline awaiting `process()` in a loop, with continuous retraining.
 *
 * Each with the proposer served by onnxruntime-node (top level of the JSON) and by the pure-TS `MlpModel`
 * (`pureTs`). `fit` compares one fit on a trainer thread (transfer included) with the same fit on the main
 * thread; `--baseline` adds the service-like run with the in-thread trainer (what the issue measured).
 *
 * Run: npx tsx bench/retrain-load/index.ts [--json] [--seconds=20] [--proposer=onnx|ts|both] [--baseline] [--canary-fraction=0.1]
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { proposerVsCritics, totalVariation, type Engine, type LoadedModel, type Trainer } from '@dissonance/core';
import { createMlpTrainer } from '@dissonance/core/mlp';
import { OnnxNodeRuntime, threadBudget, threadedTrainer } from '@dissonance/node';
import { drive, mergePhases, type PhaseResult } from './measure.js';
import { blobs32, golden, scenarioEngine, smallMlp, WIDTH } from './scenario.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const JSON_OUT = args.includes('--json');
const SECONDS = Number(flag('seconds', '20'));
const PROPOSERS = flag('proposer', 'both');
const BASELINE = args.includes('--baseline');
/** Share of traffic a challenger serves in its canary (default 0.1, the engine's default; 0 promotes at once). */
const CANARY = Number(flag('canary-fraction', '0.1'));
const log = (line: string): void => {
  if (!JSON_OUT) console.log(line);
  else console.error(line);
};

const budget = threadBudget();
const runtime = new OnnxNodeRuntime({
  executionProvider: 'cpu',
  intraOpNumThreads: budget.intraOpNumThreads,
  interOpNumThreads: budget.interOpNumThreads,
});
const proposerBytes = smallMlp('load', 3).artifact.bytes;

async function proposer(kind: 'onnx' | 'ts'): Promise<LoadedModel> {
  // A fresh model per engine: an engine disposes the champions it replaces.
  if (kind === 'ts') return smallMlp('load', 3);
  return runtime.loadBytes(proposerBytes, { name: 'load', version: '1' });
}

function phaseLine(name: string, r: PhaseResult): string {
  return `${name.padEnd(34)} ${String(r.itemsPerSecond).padStart(8)} items/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  retrains ${r.retrains}  settled ${r.settled}  cores ${r.cores ?? '-'}  (${r.seconds}s)`;
}

type Measured = PhaseResult & { latencies: Float64Array };

async function phase(name: string, engine: Engine, shape: 'service' | 'tight', seconds: number): Promise<Measured> {
  await engine.ready();
  // Warm-up: JIT, onnxruntime's first runs.
  const warm = await drive(engine, shape, Math.min(2, seconds / 5));
  const { next: _next, ...result } = await drive(engine, shape, seconds, warm.next);
  await engine.stop({ retrain: 'abandon' });
  log(phaseLine(name, result));
  return result;
}

/** A phase's figures without its raw latencies. */
function figures(measured: Measured): PhaseResult {
  const { latencies: _latencies, ...rest } = measured;
  return rest;
}

async function scenario(kind: 'onnx' | 'ts'): Promise<Record<string, unknown>> {
  // No-retrain phases before and after the retraining one, merged, so that load drift cancels out.
  const idleBefore = await phase(
    `${kind} service, no retrain (before)`,
    scenarioEngine(await proposer(kind), undefined, runtime),
    'service',
    SECONDS / 4,
  );
  const trainer = threadedTrainer('builtin', { ...(kind === 'onnx' ? { runtime } : {}) });
  const retraining = await phase(
    `${kind} service, retraining (thread)`,
    scenarioEngine(await proposer(kind), trainer, runtime, CANARY),
    'service',
    SECONDS,
  );
  await trainer.close();
  const idleAfter = await phase(
    `${kind} service, no retrain (after)`,
    scenarioEngine(await proposer(kind), undefined, runtime),
    'service',
    SECONDS / 4,
  );
  const idle = mergePhases(idleBefore, idleAfter);
  log(phaseLine(`${kind} service, no retrain (merged)`, idle));
  const tightTrainer = threadedTrainer('builtin', { ...(kind === 'onnx' ? { runtime } : {}) });
  const tight = await phase(
    `${kind} tight, retraining (thread)`,
    scenarioEngine(await proposer(kind), tightTrainer, runtime, CANARY),
    'tight',
    SECONDS,
  );
  await tightTrainer.close();
  const out: Record<string, unknown> = { service: { idle, retraining: figures(retraining) }, tight: figures(tight) };
  if (BASELINE) {
    const inThread = await phase(
      `${kind} service, retraining (in-thread)`,
      scenarioEngine(await proposer(kind), createMlpTrainer(), runtime, CANARY),
      'service',
      SECONDS,
    );
    out.serviceInThreadTrainer = figures(inThread);
  }
  return out;
}

/** One fit on the main thread vs the same fit on a trainer thread (buffers handed over, ONNX back). */
async function fitComparison(): Promise<Record<string, number>> {
  const base = smallMlp('load', 3);
  const stream = blobs32(7, 5000);
  const examples = Array.from({ length: 5000 }, (_, r) => ({
    id: `f${r}`,
    x: stream.x.slice(r * WIDTH, (r + 1) * WIDTH),
    target: { kind: 'hard' as const, label: stream.labels[r]! },
    weight: 1,
    provenance: { itemId: `f${r}`, origin: 'oracle' as const, dissonance: 0.2, proposerVersion: '1', at: 0 },
  }));
  const constraints = {
    dTarget: 0.12,
    lambdaMax: 0.05,
    klEps: 0.05,
    critics: [smallMlp('critic-a', 4), smallMlp('critic-b', 5)],
    detector: proposerVsCritics(totalVariation),
    reference: { x: golden.x, rows: 1000 },
    seed: 1,
  };
  const time = async (trainer: Trainer): Promise<number> => {
    const t = performance.now();
    await trainer.fit(base, examples, constraints);
    return performance.now() - t;
  };
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const local = createMlpTrainer();
  const threaded = threadedTrainer();
  await time(threaded); // starts the thread
  await time(local);
  const mainMs: number[] = [];
  const threadMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    mainMs.push(await time(local));
    threadMs.push(await time(threaded));
  }
  await threaded.close();
  const result = {
    mainThreadMs: Math.round(median(mainMs)),
    threadedMs: Math.round(median(threadMs)),
    ratio: Math.round((median(threadMs) / median(mainMs)) * 1000) / 1000,
  };
  log(
    `fit of 5,000 examples: main thread ${result.mainThreadMs} ms, trainer thread ${result.threadedMs} ms (× ${result.ratio})`,
  );
  return result;
}

const machine = {
  cpus: availableParallelism(),
  model: cpus()[0]?.model ?? 'unknown',
  loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
  node: process.version,
  threadBudget: budget,
};
log(
  `retrain-load: ${machine.cpus} cores (${machine.model}), load average ${machine.loadavg.join(' ')}, intra-op threads ${budget.intraOpNumThreads}, trainer threads ${budget.trainerThreads}`,
);
const result: Record<string, unknown> = { machine };
if (PROPOSERS !== 'ts') Object.assign(result, await scenario('onnx'));
if (PROPOSERS !== 'onnx') result.pureTs = await scenario('ts');
result.fit = await fitComparison();
const check = (r: Record<string, unknown> | undefined) => {
  if (r === undefined) return undefined;
  const { idle, retraining } = r.service as { idle: PhaseResult; retraining: PhaseResult };
  const tight = r.tight as PhaseResult;
  return {
    serviceThroughputRatio: Math.round((retraining.itemsPerSecond / idle.itemsPerSecond) * 1000) / 1000,
    serviceP99Ratio: Math.round((retraining.p99Ms / Math.max(idle.p99Ms, 1e-9)) * 1000) / 1000,
    serviceP99Ms: retraining.p99Ms,
    tightRetrainsPer10s: Math.round((tight.retrains / tight.seconds) * 10 * 100) / 100,
    tightSettled: tight.settled,
  };
};
result.targets = {
  ...(PROPOSERS !== 'ts' ? { onnx: check(result) } : {}),
  ...(PROPOSERS !== 'onnx' ? { pureTs: check(result.pureTs as Record<string, unknown>) } : {}),
  fitRatio: (result.fit as { ratio: number }).ratio,
};
log(`targets: ${JSON.stringify(result.targets)}`);
if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
process.exit(0);
