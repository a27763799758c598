/**
 * Picks `k` of the candidates (indexes into `points`, best-scored first) by k-center greedy: the first is the
 * best-scored, each next one the candidate farthest (Euclidean) from those picked so far, ties to the better
 * score. Spreads a label budget over distinct regions instead of spending it on near-duplicates.
 */
export function kCenterGreedy(
  candidates: readonly number[],
  k: number,
  point: (i: number) => ArrayLike<number>,
): number[] {
  if (candidates.length <= k) return candidates.slice();
  const picked: number[] = [candidates[0]!];
  const nearest = candidates.map((c) => squaredDistance(point(c), point(candidates[0]!)));
  while (picked.length < k) {
    let best = -1;
    for (let j = 0; j < candidates.length; j++) {
      if (nearest[j]! > 0 && (best < 0 || nearest[j]! > nearest[best]!)) best = j;
    }
    if (best < 0) {
      // Every candidate coincides with a picked one: fill up in score order.
      for (const c of candidates) if (picked.length < k && !picked.includes(c)) picked.push(c);
      break;
    }
    const chosen = candidates[best]!;
    picked.push(chosen);
    const p = point(chosen);
    for (let j = 0; j < candidates.length; j++)
      nearest[j] = Math.min(nearest[j]!, squaredDistance(point(candidates[j]!), p));
  }
  return picked;
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}
