import type { ExecutionProvider } from './execution-provider.js';

/** One provider's figures in an `auto` benchmark. */
export interface ProviderTiming {
  readonly provider: ExecutionProvider;
  /** Median wall-clock milliseconds of one `run` of `rows` rows through the SDK model. */
  readonly msPerRun: number;
  /** `rows / msPerRun × 1000`. */
  readonly itemsPerSecond: number;
}

/** What an `auto` load measured to choose a model's provider. */
export interface ProviderBenchmark {
  /** Rows per timed run: the runtime's `expectedBatch`. */
  readonly rows: number;
  /** Every provider timed, fastest first. */
  readonly timings: readonly ProviderTiming[];
}

/** The outcome of {@link chooseProvider}. */
export interface ProviderChoice {
  readonly provider: ExecutionProvider;
  /** `webgpu: fastest at batch 1024 by measurement: webgpu 0.412 ms/run (2,485,437 items/s), cpu …`. */
  readonly reason: string;
  readonly benchmark: ProviderBenchmark;
}

/**
 * Times one provider for {@link chooseProvider}: milliseconds per `run()` (each call runs the model once on
 * `rows` rows). The runtime's default is {@link timeRuns}; tests inject fixed figures through
 * `OnnxNodeRuntimeOptions.timeProvider`.
 */
export type ProviderTimer = (provider: ExecutionProvider, run: () => Promise<unknown>, rows: number) => Promise<number>;

/** Ties go to the provider listed first: the CPU (exact, no device memory), then CUDA, then WebGPU. */
const TIE_ORDER: readonly ExecutionProvider[] = ['cpu', 'cuda', 'webgpu'];

/**
 * Picks the provider with the fewest milliseconds per run at `rows` rows (ties: cpu, then cuda, then webgpu) and
 * says why, with every figure. Throws on an empty list. Pure: the timings come from the caller.
 */
export function chooseProvider(
  measured: ReadonlyArray<{ provider: ExecutionProvider; msPerRun: number }>,
  rows: number,
): ProviderChoice {
  if (measured.length === 0) throw new RangeError('chooseProvider: no provider timings');
  const timings: ProviderTiming[] = measured
    .map(({ provider, msPerRun }) => ({
      provider,
      msPerRun,
      itemsPerSecond: msPerRun > 0 ? (rows / msPerRun) * 1000 : Number.POSITIVE_INFINITY,
    }))
    .sort((a, b) => a.msPerRun - b.msPerRun || TIE_ORDER.indexOf(a.provider) - TIE_ORDER.indexOf(b.provider));
  const best = timings[0]!;
  const figures = timings
    .map(
      (t) =>
        `${t.provider} ${t.msPerRun.toFixed(3)} ms/run (${Math.round(t.itemsPerSecond).toLocaleString('en-US')} items/s)`,
    )
    .join(', ');
  const reason =
    timings.length === 1
      ? `${best.provider}: the only provider measured at batch ${rows}: ${figures}`
      : `${best.provider}: fastest at batch ${rows} by measurement: ${figures}`;
  return { provider: best.provider, reason, benchmark: { rows, timings } };
}

/** Limits of {@link timeRuns} and {@link timeInTurns}. */
export interface TimeRunsOptions {
  /** Untimed runs first (shader compilation, allocator warm-up), stopping after one slower than `budgetMs`. Default 2. */
  readonly warmups?: number;
  /** Timed runs at most. Default 5. */
  readonly runs?: number;
  /** Stop timing once this many milliseconds were spent on timed runs (at least one is made). Default 250. */
  readonly budgetMs?: number;
  /** Milliseconds clock (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * The default {@link ProviderTimer}: median ms of up to `runs` timed runs after `warmups`, within `budgetMs`.
 * At most `warmups + runs` runs; a provider whose runs each take longer than `budgetMs` costs two runs.
 */
export async function timeRuns(run: () => Promise<unknown>, options: TimeRunsOptions = {}): Promise<number> {
  const [ms] = await timeInTurns([run], options);
  return ms!;
}

/**
 * Median milliseconds per call of each of `calls`, timed in turns (one call of each per round, so a machine that
 * slows down or speeds up during the benchmark affects all alike): `warmups` untimed rounds, then up to `runs`
 * timed rounds within `budgetMs` per call. A warm-up round slower than the budget of all its calls ends the
 * warm-up, so a slow model costs about two rounds. {@link timeRuns} is this with one call.
 */
export async function timeInTurns(
  calls: readonly (() => Promise<unknown>)[],
  options: TimeRunsOptions = {},
): Promise<number[]> {
  const now = options.now ?? (() => performance.now());
  const runs = options.runs ?? 5;
  const budgetMs = (options.budgetMs ?? 250) * calls.length;
  for (let i = 0; i < (options.warmups ?? 2); i++) {
    const t0 = now();
    for (const call of calls) await call();
    // Slower than the whole budget: one warm-up is enough (a slow model must not stretch the load).
    if (now() - t0 > budgetMs) break;
  }
  const times = calls.map(() => [] as number[]);
  const start = now();
  do {
    for (const [j, call] of calls.entries()) {
      const t0 = now();
      await call();
      times[j]!.push(now() - t0);
    }
  } while (times[0]!.length < runs && now() - start < budgetMs);
  return times.map((list) => {
    const sorted = list.sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  });
}
