import { DissonanceError } from '../errors.js';
import type { LabelAnswer, LabelRequest, LabelSource } from '../ports/label-source.js';
import { argmaxRow } from '../rollout/golden-accuracy.js';
import { kCenterGreedy } from '../select/diverse-pick.js';
import { SELECTION_SCORES, scoreRequest, type SelectionScore } from '../select/scores.js';
import { createPrng } from '../train/prng.js';
import { checkBound, checkWeight } from './check-options.js';
import { labelSavings, type LabelSavings } from './label-savings.js';
import { allowancePerItem, checkPace, DEFAULT_ORACLE_PACE, type OraclePace } from './oracle-pace.js';

/**
 * Asks the oracle (a person, a labelling service, ground truth arriving late) for class labels: one answer
 * per request, in order; `undefined` where it has none.
 */
export type OracleCallback = (requests: readonly LabelRequest[]) => Promise<readonly (number | undefined)[]>;

/** Options of {@link oracleLabels}. */
export interface OracleOptions {
  /** Most labels to use in total over the source's life (default `Infinity`). */
  readonly budget?: number;
  /** Sample weight of an oracle label, in (0, 1] (default 1). */
  readonly weight?: number;
  /** Only requests with at least this dissonance go to the oracle (default 0). */
  readonly minDissonance?: number;
  /**
   * How the budget is spread over the stream (default: `{ rate: 0.1 }` with a finite budget, `'greedy'`
   * without one). See {@link OraclePace}.
   */
  readonly pace?: OraclePace;
  /**
   * How the items of a call are ranked when not all can be asked (default `'entropy'`: the proposer's
   * uncertainty, the best or tied score on every set of bench/learning; `'dissonance'` ranks by the engine's
   * committee dissonance).
   */
  readonly select?: SelectionScore;
  /**
   * Diversity: rank by `select`, then pick among the best `diversity × k` candidates by k-center greedy on the
   * features (`x`), so one call does not spend its quota on near-duplicates (default 1: off; e.g. 3).
   */
  readonly diversity?: number;
  /**
   * Selection over a window of recent items (default 0: per call): the scores of the last `window` items
   * offered are kept, and a call spends its allowance only on items scoring in the window's top share (the
   * pace's labels per item), so a batch of easy items leaves its allowance to a harder batch later instead of
   * labelling its least-bad items. Needs a rate or items pace and a ranking score (not `random` or `first`).
   */
  readonly window?: number;
  /**
   * Share of the labels spent on uniformly random items (the control arm, default 0.1; 0 turns it off):
   * their correction rate against the selected items' is the live measure of label savings ({@link
   * OracleLabelSource.savings}).
   */
  readonly controlFraction?: number;
  /** Seed of the control arm's and the `random` score's draws (default 1). */
  readonly seed?: number;
}

/** A label source backed by an oracle, with its label budget. */
export interface OracleLabelSource extends LabelSource {
  /** Labels received so far (answers that were not `undefined`). */
  readonly used: number;
  /** Labels that may still be asked for: `budget − used −` labels now being asked for. */
  readonly remaining: number;
  /** The label budget (`Infinity` when none). */
  readonly budget: number;
  /** Requests offered so far (whether asked or not). */
  readonly offered: number;
  /** The control arm against the selected items, and the label savings measured from them. */
  readonly savings: LabelSavings;
}

/**
 * Label source `oracle`: sends `callback` the requests with dissonance ≥ `minDissonance` while the label
 * budget lasts, paced over the stream (`pace`, default a tenth of the items offered when a budget is set, the
 * unspent allowance carried forward). When a call's allowance cannot cover every request, the best-ranked by
 * `select` are asked (ties: earlier first), passed to the callback in their original order; a
 * `controlFraction` of the labels goes to uniformly random requests instead (the control arm). The rest are
 * answered `undefined` (the next source in a chain is asked). Answers are hard targets, origin `oracle`.
 *
 * The budget is reserved while a call is in flight, so concurrent calls never overspend; an `undefined`
 * answer gives its reservation back. When the callback throws, its error propagates unchanged and nothing
 * is spent.
 *
 * @throws DissonanceError `E_CONFIG` on a bad option.
 * @throws DissonanceError `E_INPUT` (from `label`) when the callback returns the wrong number of answers or a
 *   label that is not an integer in `[0, classes)` (`classes` = the proposer row's length), naming the item.
 */
export function oracleLabels(callback: OracleCallback, options: OracleOptions = {}): OracleLabelSource {
  const budget = options.budget ?? Infinity;
  const weight = options.weight ?? 1;
  const minDissonance = options.minDissonance ?? 0;
  const pace = options.pace ?? (budget === Infinity ? 'greedy' : DEFAULT_ORACLE_PACE);
  const select = options.select ?? 'entropy';
  const diversity = options.diversity ?? 1;
  const controlFraction = options.controlFraction ?? 0.1;
  checkPace(pace);
  if (!SELECTION_SCORES.includes(select)) {
    throw new DissonanceError(
      'E_CONFIG',
      `oracle: select must be one of ${SELECTION_SCORES.join(', ')}, got ${String(select)}`,
      {
        details: { source: 'oracle', argument: 'select', actual: String(select) },
      },
    );
  }
  if (!(diversity >= 1 && Number.isFinite(diversity))) {
    throw new DissonanceError('E_CONFIG', `oracle: diversity must be a finite number ≥ 1, got ${diversity}`, {
      details: { source: 'oracle', argument: 'diversity', actual: String(diversity) },
    });
  }
  const window = options.window ?? 0;
  if (!(Number.isSafeInteger(window) && window >= 0)) {
    throw new DissonanceError('E_CONFIG', `oracle: window must be a non-negative integer, got ${window}`, {
      details: { source: 'oracle', argument: 'window', actual: String(window) },
    });
  }
  if (!(controlFraction >= 0 && controlFraction <= 1)) {
    throw new DissonanceError('E_CONFIG', `oracle: controlFraction must be in [0, 1], got ${controlFraction}`, {
      details: { source: 'oracle', argument: 'controlFraction', actual: String(controlFraction) },
    });
  }
  if (!(budget === Infinity || (Number.isSafeInteger(budget) && budget >= 0))) {
    throw new DissonanceError('E_CONFIG', `oracle: budget must be a non-negative integer or Infinity, got ${budget}`, {
      details: { source: 'oracle', argument: 'budget', actual: String(budget) },
    });
  }
  checkWeight('oracle', weight);
  checkBound('oracle', 'minDissonance', minDissonance);
  const perItem = allowancePerItem(pace, budget);
  const prng = createPrng(options.seed ?? 1);
  let used = 0;
  let reserved = 0;
  let offered = 0;
  let allowance = 0;
  let controlCredit = 0;
  const arms = { selected: { labels: 0, corrections: 0 }, control: { labels: 0, corrections: 0 } };
  const recent: number[] = [];
  const windowed = window > 0 && perItem !== Infinity && select !== 'random' && select !== 'first';

  return {
    name: 'oracle',
    budget,
    get used() {
      return used;
    },
    get remaining() {
      return budget - used - reserved;
    },
    get offered() {
      return offered;
    },
    get savings() {
      return labelSavings(arms.selected, arms.control);
    },
    async label(requests) {
      const answers: (LabelAnswer | undefined)[] = new Array<LabelAnswer | undefined>(requests.length).fill(undefined);
      offered += requests.length;
      const room = budget - used - reserved;
      allowance = perItem === Infinity ? room : Math.min(allowance + perItem * requests.length, room);
      const quota = allowance === Infinity ? Infinity : Math.floor(allowance + 1e-9);
      const eligible: number[] = [];
      for (let i = 0; i < requests.length; i++) if (requests[i]!.dissonance >= minDissonance) eligible.push(i);
      let controls = 0;
      if (controlFraction > 0 && quota !== Infinity && quota < eligible.length) {
        controlCredit += controlFraction * quota;
        controls = Math.floor(controlCredit + 1e-9);
        controlCredit -= controls;
      }
      let threshold = -Infinity;
      if (windowed) {
        for (const r of requests) recent.push(scoreRequest(select, r));
        if (recent.length > window) recent.splice(0, recent.length - window);
        const sorted = recent.slice().sort((a, b) => b - a);
        threshold = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(perItem * sorted.length) - 1))]!;
      }
      const picked = pick(requests, eligible, Math.min(quota, eligible.length), {
        select,
        diversity,
        controls,
        prng,
        threshold,
      });
      const asked = picked.map((p) => p.index);
      const control = new Set(picked.filter((p) => p.control).map((p) => p.index));
      if (asked.length === 0) return answers;
      if (allowance !== Infinity) allowance -= asked.length;
      const sent = asked.map((i) => requests[i]!);
      reserved += asked.length;
      let labels: readonly (number | undefined)[];
      try {
        labels = await callback(sent);
      } finally {
        reserved -= asked.length;
      }
      if (!Array.isArray(labels) || labels.length !== sent.length) {
        const got = Array.isArray(labels) ? `${labels.length} answers` : typeof labels;
        throw new DissonanceError('E_INPUT', `oracle: callback returned ${got} for ${sent.length} requests`, {
          details: { source: 'oracle', expected: sent.length, actual: Array.isArray(labels) ? labels.length : -1 },
        });
      }
      let received = 0;
      for (let k = 0; k < sent.length; k++) {
        const label = labels[k];
        if (label === undefined) continue;
        const request = sent[k]!;
        const classes = request.proposer.length;
        if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= classes) {
          throw new DissonanceError(
            'E_INPUT',
            `oracle: label for item ${JSON.stringify(request.itemId)} must be an integer in [0, ${classes}), got ${String(label)}`,
            { details: { source: 'oracle', itemId: request.itemId, label: String(label), classes } },
          );
        }
        answers[asked[k]!] = { target: { kind: 'hard', label }, weight, origin: 'oracle' };
        received++;
        const arm = control.has(asked[k]!) ? arms.control : arms.selected;
        arm.labels++;
        if (argmaxRow(request.proposer, 0, classes) !== label) arm.corrections++;
      }
      if (allowance !== Infinity) allowance += sent.length - received;
      used += received;
      return answers;
    },
  };
}

/**
 * The requests to ask, in original order: `count` of the `eligible` ones, `controls` of them drawn uniformly
 * at random and the rest ranked by `select` (stable on ties), with k-center greedy among the best
 * `diversity × n` when `diversity` > 1; ranked items scoring below `threshold` are not asked (window selection).
 */
function pick(
  requests: readonly LabelRequest[],
  eligible: readonly number[],
  count: number,
  how: {
    select: SelectionScore;
    diversity: number;
    controls: number;
    prng: ReturnType<typeof createPrng>;
    threshold: number;
  },
): { index: number; control: boolean }[] {
  if (count <= 0) return [];
  if (count >= eligible.length && how.threshold === -Infinity)
    return eligible.map((index) => ({ index, control: false }));
  const pool = eligible.slice();
  const chosen: { index: number; control: boolean }[] = [];
  for (let c = 0; c < Math.min(how.controls, count); c++) {
    const at = how.prng.int(pool.length);
    chosen.push({ index: pool[at]!, control: true });
    pool.splice(at, 1);
  }
  const rest = count - chosen.length;
  let ranked: number[];
  if (how.select === 'first') ranked = pool;
  else if (how.select === 'random') ranked = how.prng.shuffle(pool.slice());
  else {
    const value = new Map(pool.map((i) => [i, scoreRequest(how.select, requests[i]!)]));
    ranked = pool.filter((i) => value.get(i)! >= how.threshold).sort((a, b) => value.get(b)! - value.get(a)! || a - b);
  }
  const best =
    how.diversity > 1 && rest > 1
      ? kCenterGreedy(ranked.slice(0, Math.ceil(how.diversity * rest)), rest, (i) => requests[i]!.x)
      : ranked.slice(0, rest);
  for (const index of best) chosen.push({ index, control: false });
  return chosen.sort((a, b) => a.index - b.index);
}
