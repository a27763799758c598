import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Engine } from '@dissonance/core';
import { BATCH, batch } from './scenario.js';

/** One phase's figures. */
export interface PhaseResult {
  readonly itemsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Retrains completed in the phase (candidates validated). */
  readonly retrains: number;
  /** Candidates promoted or refused (validation or canary) in the phase. */
  readonly settled: number;
  /** CPU time of the whole process (every thread) per second of the phase: cores in use. */
  readonly cores?: number;
  readonly items: number;
  readonly seconds: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Drives `engine` for `seconds`: `service` puts a macrotask between batches (as I/O-driven requests do),
 * `tight` awaits `process()` in a loop. Times every `process()` call.
 */
export async function drive(
  engine: Engine,
  shape: 'service' | 'tight',
  seconds: number,
  first = 0,
): Promise<PhaseResult & { next: number; latencies: Float64Array }> {
  let settled = 0;
  const onSettled = () => settled++;
  engine.on('promoted', onSettled);
  engine.on('rolledBack', onSettled);
  const retrainsBefore = engine.counters.retrains;
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  let i = first;
  while (performance.now() < until) {
    const t = performance.now();
    await engine.process(batch(i++));
    latencies.push(performance.now() - t);
    if (shape === 'service') await nextTurn();
  }
  const elapsed = (performance.now() - started) / 1000;
  engine.off('promoted', onSettled);
  engine.off('rolledBack', onSettled);
  const used = process.cpuUsage(cpu);
  const cores = Math.round(((used.user + used.system) / 1e6 / elapsed) * 100) / 100;
  const sorted = Float64Array.from(latencies).sort();
  return {
    ...summarize(sorted, elapsed, engine.counters.retrains - retrainsBefore, settled),
    cores,
    next: i,
    latencies: sorted,
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Figures of one phase from its sorted latencies. */
function summarize(sorted: Float64Array, elapsed: number, retrains: number, settled: number): PhaseResult {
  const items = sorted.length * BATCH;
  return {
    itemsPerSecond: Math.round(items / elapsed),
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    retrains,
    settled,
    items,
    seconds: round(elapsed),
  };
}

/** Two phases as one (e.g. the no-retrain phases run before and after the retraining ones, so drift cancels). */
export function mergePhases(
  a: { latencies: Float64Array; seconds: number; retrains: number; settled: number },
  b: typeof a,
): PhaseResult {
  const all = new Float64Array(a.latencies.length + b.latencies.length);
  all.set(a.latencies);
  all.set(b.latencies, a.latencies.length);
  return summarize(all.sort(), a.seconds + b.seconds, a.retrains + b.retrains, a.settled + b.settled);
}
