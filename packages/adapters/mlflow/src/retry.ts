/** Delay before retry number `attempt` (0-based): full jitter over `base · 2^attempt`, capped at 5 s. */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(5000, baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
