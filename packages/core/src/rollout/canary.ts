/** Live comparison of champion and challenger during a canary. */
export interface CanaryStats {
  readonly version: string;
  /** Rows served by the challenger so far. */
  readonly challengerRows: number;
  readonly championRows: number;
  /** Mean dissonance of each arm. */
  readonly challengerDissonance: number;
  readonly championDissonance: number;
  /** Labelled rows and accuracy of each arm on them (labels arrive through reconcile). */
  readonly challengerLabelled: number;
  readonly championLabelled: number;
  readonly challengerAccuracy: number;
  readonly championAccuracy: number;
}

/** The canary's verdict once enough challenger rows were served. */
export type CanaryVerdict =
  | { readonly decision: 'wait' }
  | { readonly decision: 'promote'; readonly reason: string }
  | { readonly decision: 'rollback'; readonly reason: string };

interface Arm {
  rows: number;
  dissonance: number;
  labelled: number;
  correct: number;
}

const newArm = (): Arm => ({ rows: 0, dissonance: 0, labelled: 0, correct: 0 });

/**
 * Splits traffic between champion and challenger by a stable hash of the item id and keeps score.
 * Judged on labels when both arms have at least `minLabelled`, else on mean dissonance against the critics.
 */
export class CanaryTracker {
  readonly version: string;
  readonly #fraction: number;
  readonly #samples: number;
  readonly #minLabelled: number;
  readonly #maxDrop: number;
  readonly #dissonanceTolerance: number;
  readonly #arms = { challenger: newArm(), champion: newArm() };

  constructor(options: {
    version: string;
    fraction: number;
    samples: number;
    minLabelled: number;
    maxAccuracyDrop: number;
    dissonanceTolerance: number;
  }) {
    this.version = options.version;
    this.#fraction = options.fraction;
    this.#samples = options.samples;
    this.#minLabelled = options.minLabelled;
    this.#maxDrop = options.maxAccuracyDrop;
    this.#dissonanceTolerance = options.dissonanceTolerance;
  }

  /** True when the item with this id is served by the challenger. Stable for a given id. */
  routesToChallenger(itemId: string): boolean {
    return hashUnit(itemId) < this.#fraction;
  }

  /** Records one served row. */
  recordServed(challenger: boolean, dissonance: number): void {
    const arm = challenger ? this.#arms.challenger : this.#arms.champion;
    arm.rows++;
    arm.dissonance += dissonance;
  }

  /** Records a label for a row: whether the arm that served it was right. */
  recordLabel(challenger: boolean, correct: boolean): void {
    const arm = challenger ? this.#arms.challenger : this.#arms.champion;
    arm.labelled++;
    if (correct) arm.correct++;
  }

  /** Current numbers. */
  stats(): CanaryStats {
    const { challenger: a, champion: b } = this.#arms;
    return {
      version: this.version,
      challengerRows: a.rows,
      championRows: b.rows,
      challengerDissonance: a.rows === 0 ? 0 : a.dissonance / a.rows,
      championDissonance: b.rows === 0 ? 0 : b.dissonance / b.rows,
      challengerLabelled: a.labelled,
      championLabelled: b.labelled,
      challengerAccuracy: a.labelled === 0 ? 0 : a.correct / a.labelled,
      championAccuracy: b.labelled === 0 ? 0 : b.correct / b.labelled,
    };
  }

  /**
   * `wait` until the challenger has served `samples` rows, then promote when not worse, else roll back.
   * `now`: decide on the evidence so far (at `engine.stop()`); no evidence yet promotes (golden validation passed).
   */
  verdict(now = false): CanaryVerdict {
    const s = this.stats();
    if (!now && s.challengerRows < this.#samples) return { decision: 'wait' };
    if (s.challengerLabelled >= this.#minLabelled && s.championLabelled >= this.#minLabelled) {
      const drop = s.championAccuracy - s.challengerAccuracy;
      const text = `labelled accuracy ${pct(s.challengerAccuracy)} vs champion ${pct(s.championAccuracy)}`;
      return drop > this.#maxDrop ? { decision: 'rollback', reason: text } : { decision: 'promote', reason: text };
    }
    const worse = s.challengerDissonance - s.championDissonance;
    const text = `mean dissonance ${s.challengerDissonance.toFixed(4)} vs champion ${s.championDissonance.toFixed(4)}`;
    return worse > this.#dissonanceTolerance
      ? { decision: 'rollback', reason: text }
      : { decision: 'promote', reason: text };
  }
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

/** FNV-1a of a string mapped to [0, 1). */
function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000;
}
