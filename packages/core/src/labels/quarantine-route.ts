import type { LabelAnswer, LabelSource } from '../ports/label-source.js';

/** A label source wrapped by {@link quarantineRouting}, with its count of quarantined items. */
export interface QuarantineRouting extends LabelSource {
  /** Items above `maxDissonance` (or NaN) so far that got no oracle or feedback label: never trained on. */
  readonly quarantined: number;
}

/**
 * Routes items above `maxDissonance()` to the label sources first instead of dropping them: they are the most
 * informative ones. An answer for such an item is kept only when it comes from a person or ground truth
 * (origin `oracle` or `feedback`); automatic labels (`pseudo`, `critic`) are discarded, so the gate's intent —
 * never train on a guess where the models disagree this much — holds. NaN dissonance is quarantined whatever
 * the source. `maxDissonance` is read on every call, so a policy update applies at once.
 */
export function quarantineRouting(inner: LabelSource, maxDissonance: () => number): QuarantineRouting {
  let quarantined = 0;
  return {
    name: inner.name,
    get quarantined() {
      return quarantined;
    },
    async label(requests) {
      const answers = await inner.label(requests);
      const max = maxDissonance();
      const kept: (LabelAnswer | undefined)[] = answers.slice();
      for (let i = 0; i < requests.length; i++) {
        const d = requests[i]!.dissonance;
        if (d <= max) continue;
        const answer = kept[i];
        const trusted =
          !Number.isNaN(d) && answer !== undefined && (answer.origin === 'oracle' || answer.origin === 'feedback');
        if (!trusted) {
          kept[i] = undefined;
          quarantined++;
        }
      }
      return kept;
    },
  };
}
