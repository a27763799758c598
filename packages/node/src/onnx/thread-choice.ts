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
