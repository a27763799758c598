/** Throughput of one timed configuration: the median of its trials. */
export interface Throughput {
  /** Items per second, median of the trials. */
  readonly itemsPerSecond: number;
  /** Every trial's items per second, in run order. */
  readonly trials: readonly number[];
}

/** Something to time: one call processes `items` items. */
export interface Workload {
  readonly label: string;
  readonly items: number;
  readonly call: () => Promise<unknown>;
}

/**
 * Warm-up per workload of the `engine.process` comparisons (seconds): measured, `engine.process` runs a few dozen
 * functions through V8's tiers and needs about 2 s of calls to reach its steady rate (raw calls about 0.5 s).
 */
export const ENGINE_WARMUP_SECONDS = 2;

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Calls `workload` until `seconds` have passed (at least once); returns the calls made and the seconds taken. */
async function slice(workload: Workload, seconds: number): Promise<{ calls: number; elapsed: number; cpu: number }> {
  const start = now();
  const cpuStart = process.cpuUsage();
  let calls = 0;
  let elapsed = 0;
  do {
    await workload.call();
    calls++;
    elapsed = now() - start;
  } while (elapsed < seconds);
  const cpu = process.cpuUsage(cpuStart);
  return { calls, elapsed, cpu: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Warms every workload up (`warmupSeconds` each, default a quarter of `seconds`), then runs `trials` trials.
 * Within a trial the workloads take turns in short slices (`sliceSeconds`, rotating who goes first) until each
 * has run for `seconds`, so load from elsewhere on the machine (this bench runs on shared 2-core boxes) and turbo
 * drift hit all of them alike. Reports each workload's median items/s over the trials.
 */
export async function compare(
  workloads: readonly Workload[],
  seconds: number,
  trials = 3,
  sliceSeconds = 0.05,
  warmupSeconds = seconds / 4,
): Promise<Throughput[]> {
  for (const w of workloads) await slice(w, warmupSeconds);
  const results = workloads.map(() => [] as number[]);
  for (let t = 0; t < trials; t++) {
    const calls = workloads.map(() => 0);
    const time = workloads.map(() => 0);
    for (let round = 0; time.some((s) => s < seconds); round++) {
      for (let j = 0; j < workloads.length; j++) {
        const i = (j + round) % workloads.length;
        if (time[i]! >= seconds) continue;
        const { calls: n, elapsed } = await slice(workloads[i]!, sliceSeconds);
        calls[i]! += n;
        time[i]! += elapsed;
      }
    }
    workloads.forEach((w, i) => results[i]!.push((calls[i]! * w.items) / time[i]!));
  }
  return results.map((trialsOf) => ({ itemsPerSecond: median(trialsOf), trials: trialsOf }));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What {@link pairedRatio} measured. */
export interface PairedRatio {
  /** Median over rounds of (items/s of `a`) / (items/s of `b`) within the round, wall-clock. */
  readonly ratio: number;
  /**
   * The same with items per CPU-second of this process: the work each side does, much less moved by other
   * processes competing for the cores (which wall-clock rates on a shared machine are not).
   */
  readonly cpuRatio: number;
  readonly rounds: number;
  readonly a: Throughput;
  readonly b: Throughput;
}

/**
 * The throughput ratio of two workloads that differ by a small cost (instrumentation on vs off): after a warm-up,
 * `a` and `b` run in back-to-back slices (order alternating) for `seconds` each, and each round's ratio is taken
 * on its own; the median over rounds discards rounds that load from elsewhere on the machine hit on one side
 * only, which a ratio of overall medians does not. Reported for wall-clock and for CPU time.
 */
export async function pairedRatio(
  a: Workload,
  b: Workload,
  seconds: number,
  sliceSeconds = 0.05,
): Promise<PairedRatio> {
  await slice(a, seconds / 4);
  await slice(b, seconds / 4);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const rateA: number[] = [];
  const rateB: number[] = [];
  let spent = 0;
  for (let round = 0; spent < seconds; round++) {
    const first = round % 2 === 0 ? a : b;
    const second = first === a ? b : a;
    const r1 = await slice(first, sliceSeconds);
    const r2 = await slice(second, sliceSeconds);
    const [ra, rb] = first === a ? [r1, r2] : [r2, r1];
    const itemsPerSecondA = (ra.calls * a.items) / ra.elapsed;
    const itemsPerSecondB = (rb.calls * b.items) / rb.elapsed;
    rateA.push(itemsPerSecondA);
    rateB.push(itemsPerSecondB);
    ratios.push(itemsPerSecondA / itemsPerSecondB);
    cpuRatios.push((ra.calls * a.items) / ra.cpu / ((rb.calls * b.items) / rb.cpu));
    spent += Math.max(ra.elapsed, rb.elapsed);
  }
  return {
    ratio: median(ratios),
    cpuRatio: median(cpuRatios),
    rounds: ratios.length,
    a: { itemsPerSecond: median(rateA), trials: rateA },
    b: { itemsPerSecond: median(rateB), trials: rateB },
  };
}
