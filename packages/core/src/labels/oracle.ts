import { DissonanceError } from '../errors.js';
import type { LabelAnswer, LabelRequest, LabelSource } from '../ports/label-source.js';
import { checkBound, checkWeight } from './check-options.js';

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
}

/** A label source backed by an oracle, with its label budget. */
export interface OracleLabelSource extends LabelSource {
  /** Labels received so far (answers that were not `undefined`). */
  readonly used: number;
  /** Labels that may still be asked for: `budget − used −` labels now being asked for. */
  readonly remaining: number;
}

/**
 * Label source `oracle`: sends `callback` the requests with dissonance ≥ `minDissonance` while the label
 * budget lasts; when the budget cannot cover them all, the highest-dissonance ones are asked (ties: earlier
 * first), passed to the callback in their original order. The rest are answered `undefined` (the next
 * source in a chain is asked). Answers are hard targets, origin `oracle`.
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
  if (!(budget === Infinity || (Number.isSafeInteger(budget) && budget >= 0))) {
    throw new DissonanceError('E_CONFIG', `oracle: budget must be a non-negative integer or Infinity, got ${budget}`, {
      details: { source: 'oracle', argument: 'budget', actual: String(budget) },
    });
  }
  checkWeight('oracle', weight);
  checkBound('oracle', 'minDissonance', minDissonance);
  let used = 0;
  let reserved = 0;

  return {
    name: 'oracle',
    get used() {
      return used;
    },
    get remaining() {
      return budget - used - reserved;
    },
    async label(requests) {
      const answers: (LabelAnswer | undefined)[] = new Array<LabelAnswer | undefined>(requests.length).fill(undefined);
      const asked = select(requests, minDissonance, budget - used - reserved);
      if (asked.length === 0) return answers;
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
      }
      used += received;
      return answers;
    },
  };
}

/**
 * Indexes of the requests to ask, in original order: those with dissonance ≥ `minDissonance`; when more than
 * `room`, the `room` with the highest dissonance (stable on ties).
 */
function select(requests: readonly LabelRequest[], minDissonance: number, room: number): number[] {
  if (room <= 0) return [];
  const eligible: number[] = [];
  for (let i = 0; i < requests.length; i++) {
    if (requests[i]!.dissonance >= minDissonance) eligible.push(i);
  }
  if (eligible.length <= room) return eligible;
  return eligible
    .slice()
    .sort((a, b) => requests[b]!.dissonance - requests[a]!.dissonance || a - b)
    .slice(0, room)
    .sort((a, b) => a - b);
}
