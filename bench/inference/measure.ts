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

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Calls `workload` until `seconds` have passed (at least once); returns the calls made and the seconds taken. */
async function slice(workload: Workload, seconds: number): Promise<{ calls: number; elapsed: number }> {
  const start = now();
  let calls = 0;
  let elapsed = 0;
  do {
    await workload.call();
    calls++;
    elapsed = now() - start;
  } while (elapsed < seconds);
  return { calls, elapsed };
}

/**
 * Warms every workload up (a quarter of `seconds` each), then runs `trials` trials. Within a trial the
 * workloads take turns in short slices (`sliceSeconds`, rotating who goes first) until each has run for
 * `seconds`, so load from elsewhere on the machine (this bench runs on shared 2-core boxes) and turbo drift hit
 * all of them alike. Reports each workload's median items/s over the trials.
 */
export async function compare(
  workloads: readonly Workload[],
  seconds: number,
  trials = 3,
  sliceSeconds = 0.05,
): Promise<Throughput[]> {
  for (const w of workloads) await slice(w, seconds / 4);
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
