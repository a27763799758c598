import { DissonanceError } from '../errors.js';
import type { LabelAnswer, LabelRequest, LabelSource } from '../ports/label-source.js';

/**
 * A label source that asks `sources` in turn: the first with every request, each next one only with the
 * requests still unanswered (in their original order). Answers come back in request order; a request no
 * source answers stays `undefined`. Named `chain(a,b,…)`.
 *
 * @throws DissonanceError `E_INPUT` (from `label`) when a source returns the wrong number of answers.
 */
export function chainLabels(...sources: readonly LabelSource[]): LabelSource {
  return {
    name: `chain(${sources.map((s) => s.name).join(',')})`,
    async label(requests) {
      const answers = new Array<LabelAnswer | undefined>(requests.length).fill(undefined);
      let pending: number[] = requests.map((_, i) => i);
      for (const source of sources) {
        if (pending.length === 0) break;
        const asked: LabelRequest[] = pending.map((i) => requests[i]!);
        const got = await source.label(asked);
        if (got.length !== asked.length) {
          throw new DissonanceError(
            'E_INPUT',
            `label source ${JSON.stringify(source.name)} returned ${got.length} answers for ${asked.length} requests`,
            { details: { source: source.name, expected: asked.length, actual: got.length } },
          );
        }
        const still: number[] = [];
        for (let k = 0; k < pending.length; k++) {
          const answer = got[k];
          if (answer === undefined) still.push(pending[k]!);
          else answers[pending[k]!] = answer;
        }
        pending = still;
      }
      return answers;
    },
  };
}
