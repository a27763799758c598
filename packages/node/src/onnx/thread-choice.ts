/** One thread count's figure in an `intraOpNumThreads: 'auto'` benchmark. */
export interface ThreadTiming {
  /** Intra-op threads of the timed session; undefined: onnxruntime's default (one per physical core). */
  readonly threads: number | undefined;
  /** Median wall-clock milliseconds of one `run` of `rows` rows. */
  readonly msPerRun: number;
}

/** What `intraOpNumThreads: 'auto'` measured to choose a model's intra-op thread count. */
export interface ThreadChoice {
  /** The count chosen; undefined: onnxruntime's default. */
  readonly threads: number | undefined;
  /** `intra-op threads 1: fastest at batch 64 by measurement: 1 thread 0.021 ms/run, onnxruntime's default 0.034 ms/run`. */
  readonly reason: string;
  /** Rows per timed run: the runtime's `expectedBatch`. */
  readonly rows: number;
  /** Every count timed, fastest first. */
  readonly timings: readonly ThreadTiming[];
}

const label = (threads: number | undefined): string =>
  threads === undefined ? "onnxruntime's default" : `${threads} thread${threads === 1 ? '' : 's'}`;

/**
 * Picks the intra-op thread count with the fewest milliseconds per run at `rows` rows (ties: onnxruntime's
 * default, then the fewest threads) and says why, with every figure. Throws on an empty list. Pure: the timings
 * come from the caller.
 */
export function chooseThreads(measured: readonly ThreadTiming[], rows: number): ThreadChoice {
  if (measured.length === 0) throw new RangeError('chooseThreads: no timings');
  const timings = [...measured].sort(
    (a, b) =>
      a.msPerRun - b.msPerRun || (a.threads === undefined ? -1 : b.threads === undefined ? 1 : a.threads - b.threads),
  );
  const best = timings[0]!;
  const figures = timings.map((t) => `${label(t.threads)} ${t.msPerRun.toFixed(3)} ms/run`).join(', ');
  const verdict = timings.length === 1 ? 'the only count measured' : 'fastest';
  return {
    threads: best.threads,
    reason: `intra-op threads ${best.threads ?? 'default'}: ${verdict} at batch ${rows} by measurement: ${figures}`,
    rows,
    timings,
  };
}

/** Limits of {@link timeInTurns} (the same meaning as `timeRuns`' options). */
export interface TimeInTurnsOptions {
  /** Untimed runs of each first. Default 2. */
  readonly warmups?: number;
  /** Timed runs of each at most. Default 5. */
  readonly runs?: number;
  /** Stop once this many milliseconds were spent on timed runs of each, on average (at least one round). Default 250. */
  readonly budgetMs?: number;
  /** Milliseconds clock (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * Median milliseconds per call of each of `calls`, timed in turns (one call of each per round, so a machine that
 * slows down or speeds up during the benchmark affects all alike): `warmups` untimed rounds, then up to `runs`
 * timed rounds within `budgetMs` per call. A round whose calls each take longer than the budget ends the
 * warm-up, so a slow model costs about two rounds.
 */
export async function timeInTurns(
  calls: readonly (() => Promise<unknown>)[],
  options: TimeInTurnsOptions = {},
): Promise<number[]> {
  const now = options.now ?? (() => performance.now());
  const runs = options.runs ?? 5;
  const budgetMs = (options.budgetMs ?? 250) * calls.length;
  for (let i = 0; i < (options.warmups ?? 2); i++) {
    const t0 = now();
    for (const call of calls) await call();
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
