import { describe, expect, it } from 'vitest';
import type { LabelAnswer, LabelRequest, LabelSource } from '../../src/ports/label-source.js';
import { agreementPseudoLabels, chainLabels, criticTrustLabels, oracleLabels } from '../../src/labels/index.js';
import { rejected, request } from './fixtures.js';

/** A source that answers the ids in `knows` (label = its index in `knows`) and records what it was asked. */
function scripted(name: string, knows: string[], log: string[][]): LabelSource {
  return {
    name,
    label(requests: readonly LabelRequest[]) {
      log.push(requests.map((r) => `${name}:${r.itemId}`));
      return Promise.resolve(
        requests.map((r): LabelAnswer | undefined =>
          knows.includes(r.itemId)
            ? { target: { kind: 'hard', label: knows.indexOf(r.itemId) }, weight: 1, origin: 'oracle' }
            : undefined,
        ),
      );
    },
  };
}

describe('chainLabels', () => {
  it('asks each source in turn for what is still unanswered, keeping order', async () => {
    const log: string[][] = [];
    const chain = chainLabels(
      scripted('first', ['b'], log),
      scripted('second', ['d', 'a'], log),
      scripted('third', ['c'], log),
    );
    expect(chain.name).toBe('chain(first,second,third)');
    const answers = await chain.label(['a', 'b', 'c', 'd', 'e'].map((id) => request(id)));
    expect(log).toEqual([
      ['first:a', 'first:b', 'first:c', 'first:d', 'first:e'],
      ['second:a', 'second:c', 'second:d', 'second:e'],
      ['third:c', 'third:e'],
    ]);
    expect(answers.map((a) => (a?.target.kind === 'hard' ? a.target.label : undefined))).toEqual([
      1,
      0,
      0,
      0,
      undefined,
    ]);
  });

  it('stops asking once everything is answered', async () => {
    const log: string[][] = [];
    const chain = chainLabels(scripted('all', ['a', 'b'], log), scripted('never', [], log));
    await chain.label([request('a'), request('b')]);
    expect(log).toEqual([['all:a', 'all:b']]);
  });

  it('an empty chain answers nothing', async () => {
    expect(await chainLabels().label([request('a')])).toEqual([undefined]);
  });

  it('combines the built-in sources: agreement, then a budgeted oracle, then critic trust', async () => {
    const oracle = oracleLabels((requests) => Promise.resolve(requests.map(() => 0)), {
      budget: 1,
      pace: 'greedy',
      select: 'dissonance',
    });
    const chain = chainLabels(agreementPseudoLabels(), oracle, criticTrustLabels());
    const agree = new Float32Array([0.02, 0.98]);
    const answers = await chain.label([
      request('easy', { proposer: agree, critics: [agree], dissonance: 0 }),
      request('hard', { dissonance: 0.6 }),
      request('harder', { dissonance: 0.4 }),
    ]);
    expect(answers.map((a) => a?.origin)).toEqual(['pseudo', 'oracle', 'critic']);
    expect(oracle.used).toBe(1);
  });

  it('rejects a source that answers the wrong number of requests', async () => {
    const broken: LabelSource = { name: 'broken', label: () => Promise.resolve([]) };
    const error = await rejected(chainLabels(broken).label([request('a')]));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('"broken" returned 0 answers for 1 requests');
  });
});
