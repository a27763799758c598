import type { LoadedModel } from '../ports/model.js';
import type { CanaryTracker } from '../rollout/canary.js';

/** What served a batch: probabilities per row and which version produced each row. */
export interface Served {
  readonly probabilities: Float32Array;
  /** The version that produced row `r`; undefined when {@link Served.version} produced every row. */
  readonly versions?: readonly string[];
  /** The version that produced every row, when {@link Served.versions} is undefined. */
  readonly version: string;
  /** 1 where the challenger served the row (present only during a canary). */
  readonly challengerRows?: Uint8Array;
}

/**
 * Runs the champion on a batch, or, during a canary, splits the rows by item id between champion and
 * challenger and merges their outputs back in row order.
 */
export async function serveBatch(
  x: Float32Array,
  rows: number,
  ids: readonly string[],
  champion: LoadedModel,
  canary?: { readonly model: LoadedModel; readonly tracker: CanaryTracker },
): Promise<Served> {
  if (canary === undefined) {
    const probabilities = await champion.run(x, rows);
    return { probabilities, version: champion.version };
  }
  const width = champion.inputWidth;
  const k = champion.classes;
  const challengerRows = new Uint8Array(rows);
  let nChallenger = 0;
  for (let r = 0; r < rows; r++) {
    if (canary.tracker.routesToChallenger(ids[r] ?? '')) {
      challengerRows[r] = 1;
      nChallenger++;
    }
  }
  if (nChallenger === 0 || nChallenger === rows) {
    const model = nChallenger === 0 ? champion : canary.model;
    const probabilities = await model.run(x, rows);
    return { probabilities, version: model.version, challengerRows };
  }
  const split = (flag: number, n: number): Float32Array => {
    const sub = new Float32Array(n * width);
    let j = 0;
    for (let r = 0; r < rows; r++) {
      if (challengerRows[r] === flag) sub.set(x.subarray(r * width, (r + 1) * width), width * j++);
    }
    return sub;
  };
  const nChampion = rows - nChallenger;
  const [pChampion, pChallenger] = await Promise.all([
    champion.run(split(0, nChampion), nChampion),
    canary.model.run(split(1, nChallenger), nChallenger),
  ]);
  const probabilities = new Float32Array(rows * k);
  const versions = new Array<string>(rows);
  let a = 0;
  let b = 0;
  for (let r = 0; r < rows; r++) {
    if (challengerRows[r] === 1) {
      probabilities.set(pChallenger.subarray(b * k, (b + 1) * k), r * k);
      versions[r] = canary.model.version;
      b++;
    } else {
      probabilities.set(pChampion.subarray(a * k, (a + 1) * k), r * k);
      versions[r] = champion.version;
      a++;
    }
  }
  return { probabilities, versions, version: champion.version, challengerRows };
}

/** One version per row of a batch that `served` produced. */
export function servedVersions(served: Served, rows: number): readonly string[] {
  return served.versions ?? new Array<string>(rows).fill(served.version);
}
