/**
 * The MicroBatcher section of the inference bench: 1,000 concurrent single-row calls of one model with and
 * without a `MicroBatcher` with its defaults, as a burst and as a closed loop, plus a lone caller's latency.
 */
import type { LoadedModel } from '../../packages/core/src/index.js';
import { MicroBatcher } from '../../packages/core/src/runtime/index.js';
import { compare, type Throughput } from './measure.js';

/** Latency percentiles of single calls, in milliseconds. */
export interface Latency {
  readonly calls: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One configuration: throughput, and for a batcher its ratio to unbatched calls and mean batch size. */
export interface BatchedRun extends Throughput {
  readonly latency: Latency;
  readonly ratio?: number;
  readonly meanBatchRows?: number;
}

/** What {@link microBatcherBench} measured. */
export interface MicroBatcherReport {
  readonly calls: number;
  readonly defaults: { readonly maxBatch: number; readonly maxDelayMs: number; readonly adaptive: boolean };
  readonly burst: { readonly unbatched: BatchedRun; readonly defaults: BatchedRun; readonly maxDelayMs0: BatchedRun };
  readonly closedLoop: {
    readonly callsPerCaller: number;
    readonly unbatched: BatchedRun;
    readonly defaults: BatchedRun;
  };
  /** One caller, one row at a time, nothing else running: the latency a lone request pays for the batcher. */
  readonly lone: { readonly unbatched: Latency; readonly defaults: Latency; readonly p99DeltaMs: number };
  readonly targets: {
    readonly burstAtLeast10x: boolean;
    readonly closedLoopAtLeast10x: boolean;
    readonly loneP99Within1ms: boolean;
  };
}

type Run = (x: Float32Array, rows: number) => Promise<Float32Array>;

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Percentiles (nearest rank) of `samples` in ms. */
export function latencyOf(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return {
    calls: sorted.length,
    meanMs: mean,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

/** A run that records each call's latency into `into`. */
function timed(run: Run, into: number[]): Run {
  return async (x, rows) => {
    const start = now();
    const out = await run(x, rows);
    into.push(now() - start);
    return out;
  };
}

/**
 * Times `calls` concurrent single-row calls of `model` (rows of `x`) unbatched and through MicroBatchers with
 * their defaults (and, for bursts, `maxDelayMs: 0`), with {@link compare}; then, separately, each call's latency
 * over a few rounds of the same workloads, and a lone caller's latency (unbatched and batched alternating).
 */
export async function microBatcherBench(
  model: LoadedModel,
  x: Float32Array,
  calls: number,
  callsPerCaller: number,
  seconds: number,
): Promise<MicroBatcherReport> {
  const width = model.inputWidth;
  const views = Array.from({ length: calls }, (_, r) => x.subarray(r * width, (r + 1) * width));
  const unbatched: Run = (v, rows) => model.run(v, rows);
  const burst = (run: Run) => () => Promise.all(views.map((v) => run(v, 1)));
  const closedLoop = (run: Run) => () =>
    Promise.all(
      views.map(async (v) => {
        for (let i = 0; i < callsPerCaller; i++) await run(v, 1);
      }),
    );
  const latencyRounds = async (
    work: (run: Run) => () => Promise<unknown>,
    run: Run,
    rounds: number,
  ): Promise<Latency> => {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) await work(timed(run, samples))();
    return latencyOf(samples);
  };

  const burstDefaults = new MicroBatcher(model);
  const burst0 = new MicroBatcher(model, { maxDelayMs: 0 });
  const b = (await compare(
    [
      { label: 'burst unbatched', items: calls, call: burst(unbatched) },
      { label: 'burst defaults', items: calls, call: burst((v, rows) => burstDefaults.run(v, rows)) },
      { label: 'burst maxDelayMs 0', items: calls, call: burst((v, rows) => burst0.run(v, rows)) },
    ],
    seconds,
  )) as [Throughput, Throughput, Throughput];
  const burstRows = [burstDefaults.stats.meanBatchRows, burst0.stats.meanBatchRows] as const;
  const burstLatency = [
    await latencyRounds(burst, unbatched, 10),
    await latencyRounds(burst, (v, rows) => burstDefaults.run(v, rows), 10),
    await latencyRounds(burst, (v, rows) => burst0.run(v, rows), 10),
  ] as const;

  const loopDefaults = new MicroBatcher(model);
  const l = (await compare(
    [
      { label: 'closed loop unbatched', items: calls * callsPerCaller, call: closedLoop(unbatched) },
      {
        label: 'closed loop defaults',
        items: calls * callsPerCaller,
        call: closedLoop((v, rows) => loopDefaults.run(v, rows)),
      },
    ],
    seconds,
  )) as [Throughput, Throughput];
  const loopRows = loopDefaults.stats.meanBatchRows;
  const loopLatency = [
    await latencyRounds(closedLoop, unbatched, 2),
    await latencyRounds(closedLoop, (v, rows) => loopDefaults.run(v, rows), 2),
  ] as const;

  // A lone caller: one row at a time, unbatched and batched alternating so load from elsewhere hits both alike.
  const loneBatcher = new MicroBatcher(model);
  const alone: number[] = [];
  const batched: number[] = [];
  const v = views[0]!;
  for (let i = 0; i < 200; i++) await loneBatcher.run(v, 1);
  for (let i = 0; i < 3000; i++) {
    await timed(unbatched, alone)(v, 1);
    await timed((x1, rows) => loneBatcher.run(x1, rows), batched)(v, 1);
  }
  await Promise.all([burstDefaults.close(), burst0.close(), loopDefaults.close(), loneBatcher.close()]);
  const lone = { unbatched: latencyOf(alone), defaults: latencyOf(batched) };
  const p99DeltaMs = lone.defaults.p99Ms - lone.unbatched.p99Ms;

  const run = (t: Throughput, latency: Latency, base?: Throughput, meanBatchRows?: number): BatchedRun => ({
    ...t,
    latency,
    ...(base === undefined ? {} : { ratio: t.itemsPerSecond / base.itemsPerSecond }),
    ...(meanBatchRows === undefined ? {} : { meanBatchRows }),
  });
  const report = {
    calls,
    defaults: {
      maxBatch: burstDefaults.maxBatch,
      maxDelayMs: burstDefaults.maxDelayMs,
      adaptive: burstDefaults.adaptive,
    },
    burst: {
      unbatched: run(b[0], burstLatency[0]),
      defaults: run(b[1], burstLatency[1], b[0], burstRows[0]),
      maxDelayMs0: run(b[2], burstLatency[2], b[0], burstRows[1]),
    },
    closedLoop: {
      callsPerCaller,
      unbatched: run(l[0], loopLatency[0]),
      defaults: run(l[1], loopLatency[1], l[0], loopRows),
    },
    lone: { ...lone, p99DeltaMs },
  };
  return {
    ...report,
    targets: {
      burstAtLeast10x: (report.burst.defaults.ratio ?? 0) >= 10,
      closedLoopAtLeast10x: (report.closedLoop.defaults.ratio ?? 0) >= 10,
      loneP99Within1ms: p99DeltaMs <= 1,
    },
  };
}

/** The section's lines for the console. */
export function microBatcherLines(r: MicroBatcherReport): string[] {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const ms = (l: Latency): string =>
    `p50 ${l.p50Ms.toFixed(2)} / p90 ${l.p90Ms.toFixed(2)} / p99 ${l.p99Ms.toFixed(2)} ms`;
  const line = (label: string, t: BatchedRun): string =>
    `  ${label.padEnd(34)}${fmt(t.itemsPerSecond).padStart(12)}` +
    (t.ratio === undefined
      ? '              '
      : `  ${t.ratio.toFixed(1).padStart(5)}×  mean batch ${(t.meanBatchRows ?? 0).toFixed(1).padStart(5)}`) +
    `   latency ${ms(t.latency)}`;
  const d = r.defaults;
  return [
    `${r.calls} concurrent single-row proposer calls, rows/s (ratio to no MicroBatcher; defaults: maxBatch ${d.maxBatch}, maxDelayMs ${d.maxDelayMs}, adaptive ${d.adaptive}):`,
    ` burst: Promise.all of ${r.calls} calls`,
    line('without MicroBatcher', r.burst.unbatched),
    line('MicroBatcher(), defaults', r.burst.defaults),
    line('MicroBatcher({ maxDelayMs: 0 })', r.burst.maxDelayMs0),
    ` closed loop: ${r.calls} callers × ${r.closedLoop.callsPerCaller} sequential calls each`,
    line('without MicroBatcher', r.closedLoop.unbatched),
    line('MicroBatcher(), defaults', r.closedLoop.defaults),
    ` lone caller, one row at a time (${r.lone.unbatched.calls} calls each, alternating):`,
    `  without MicroBatcher              ${ms(r.lone.unbatched)}`,
    `  MicroBatcher(), defaults          ${ms(r.lone.defaults)}   p99 Δ ${r.lone.p99DeltaMs.toFixed(3)} ms`,
  ];
}
