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
export async function drive(engine: Engine, shape: 'service' | 'tight', seconds: number, first = 0): Promise<PhaseResult & { next: number }> {
  let settled = 0;
  const onSettled = () => settled++;
  engine.on('promoted', onSettled);
  engine.on('rolledBack', onSettled);
  const retrainsBefore = engine.counters.retrains;
  const latencies: number[] = [];
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
  const sorted = Float64Array.from(latencies).sort();
  const items = latencies.length * BATCH;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    itemsPerSecond: Math.round(items / elapsed),
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    retrains: engine.counters.retrains - retrainsBefore,
    settled,
    items,
    seconds: round(elapsed),
    next: i,
  };
}
