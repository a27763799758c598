import { describe, expect, it } from 'vitest';
import type { LabelRequest } from '../../src/ports/label-source.js';
import { oracleLabels, quarantineRouting } from '../../src/labels/index.js';
import { baldScore, marginScore, scoreRequest } from '../../src/select/index.js';
import { request, thrown } from './fixtures.js';

/** `n` requests whose proposer is sure of class 0 to a degree rising with the index (item-0 least sure). */
function batch(start: number, n: number): LabelRequest[] {
  return Array.from({ length: n }, (_, i) => {
    const p0 = 0.5 + (0.49 * i) / n;
    return request(`item-${start + i}`, {
      proposer: Float32Array.of(p0, 1 - p0),
      critics: [Float32Array.of(p0, 1 - p0)],
      dissonance: 1 - p0,
    });
  });
}

describe('oracleLabels pace', () => {
  it('spreads a budget over the stream at the default rate of a tenth of the items, carrying the unspent part', async () => {
    const source = oracleLabels((r) => Promise.resolve(r.map(() => 0)), { budget: 500, controlFraction: 0 });
    const perCall: number[] = [];
    for (let b = 0; b < 100; b++) {
      const answers = await source.label(batch(b * 32, 32));
      perCall.push(answers.filter((a) => a !== undefined).length);
    }
    expect(perCall.slice(0, 3)).toEqual([3, 3, 3]); // 3.2 per batch: the fraction carried
    expect(perCall.slice(0, 5).reduce((s, v) => s + v, 0)).toBe(16);
    expect(source.used).toBe(320);
    expect(source.offered).toBe(3200);
  });

  it('paces over a number of items (a per-batch quota), and greedy spends everything at once', async () => {
    const paced = oracleLabels((r) => Promise.resolve(r.map(() => 0)), {
      budget: 40,
      pace: { items: 320 },
      controlFraction: 0,
    });
    const greedy = oracleLabels((r) => Promise.resolve(r.map(() => 0)), { budget: 40, pace: 'greedy' });
    const pacedCounts: number[] = [];
    const greedyCounts: number[] = [];
    for (let b = 0; b < 10; b++) {
      pacedCounts.push((await paced.label(batch(b * 32, 32))).filter((a) => a !== undefined).length);
      greedyCounts.push((await greedy.label(batch(b * 32, 32))).filter((a) => a !== undefined).length);
    }
    expect(pacedCounts).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    expect(greedyCounts).toEqual([32, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('asks for the best-ranked items by the select score', async () => {
    const asked: string[] = [];
    const source = oracleLabels((r) => Promise.resolve(r.map((x) => (asked.push(x.itemId), 0))), {
      budget: 10,
      pace: { rate: 0.125 },
      select: 'margin',
      controlFraction: 0,
    });
    await source.label(batch(0, 32));
    expect(asked).toEqual(['item-0', 'item-1', 'item-2', 'item-3']); // the smallest margins
  });

  it('sends a control fraction of the labels to random items and measures savings against them', async () => {
    const controls = new Set<string>();
    const source = oracleLabels(
      (r) =>
        Promise.resolve(
          r.map((x) => {
            const i = Number(x.itemId.split('-')[1]) % 32;
            if (i >= 8) controls.add(x.itemId);
            // The proposer is wrong on the least sure quarter of each batch.
            return i < 8 ? 1 : 0;
          }),
        ),
      { budget: 10_000, pace: { rate: 0.25 }, select: 'margin', controlFraction: 0.25, seed: 7 },
    );
    for (let b = 0; b < 40; b++) await source.label(batch(b * 32, 32));
    const { selected, control, savings } = source.savings;
    expect(selected.labels + control.labels).toBe(source.used);
    expect(control.labels).toBe(80); // a quarter of 320
    expect(controls.size).toBeGreaterThan(40); // random picks land outside the selected top quarter
    expect(selected.corrections / selected.labels).toBeGreaterThan(0.9);
    expect(savings).toBeGreaterThan(0.5);
    expect(savings).toBeLessThan(1);
  });

  it('the control arm is all that controlFraction changes: without it the seed draws nothing, with it the rest is the top-ranked', async () => {
    const run = async (controlFraction: number, seed: number): Promise<{ calls: number[][]; control: number }> => {
      const calls: number[][] = [];
      const source = oracleLabels(
        (r) => {
          calls.push(r.map((x) => Number(x.itemId.split('-')[1]) % 32));
          return Promise.resolve(r.map(() => 0));
        },
        { budget: 160, pace: { items: 40 * 32 }, select: 'entropy', controlFraction, seed },
      );
      for (let b = 0; b < 40; b++) await source.label(batch(b * 32, 32));
      return { calls, control: source.savings.control.labels };
    };
    // Without a control arm the seed is never drawn on: the same items as the plain ranking, whatever the seed.
    const plain = await run(0, 1);
    expect(await run(0, 99)).toEqual(plain);
    for (const call of plain.calls) expect(call).toEqual([0, 1, 2, 3]); // 4 a batch: the least sure
    // With 10 %: a tenth of the labels (credited across calls) on random items, the rest the call's best-ranked.
    const armed = await run(0.1, 3);
    expect(armed.calls.map((c) => c.length)).toEqual(plain.calls.map((c) => c.length));
    expect(armed.control).toBe(16); // 0.4 a batch, credited: 16 of 160
    // The control picks are drawn first; the call's other labels go to its best-ranked remaining items.
    for (const call of armed.calls) expect(call.filter((index) => index >= 4).length).toBeLessThanOrEqual(1);
    expect(armed.calls.filter((call) => call.some((index) => index >= 4)).length).toBeGreaterThan(8);
  });

  it('rejects a bad pace, score, diversity or control fraction', () => {
    const cb = () => Promise.resolve([]);
    expect(thrown(() => oracleLabels(cb, { budget: 5, pace: { rate: 0 } })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { budget: 5, pace: { items: 1.5 } })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { select: 'best' as never })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { diversity: 0.5 })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { controlFraction: 1.5 })).code).toBe('E_CONFIG');
  });

  it('with diversity, spreads a call over distinct regions instead of near-duplicates', async () => {
    const asked: string[] = [];
    const near = (id: string, x: number, p0: number) =>
      request(id, { x: Float32Array.of(x, 0), proposer: Float32Array.of(p0, 1 - p0), critics: [], dissonance: 0 });
    const requests = [
      near('a', 0, 0.5),
      near('a2', 0.01, 0.51),
      near('a3', 0.02, 0.52),
      near('b', 5, 0.6),
      near('c', 10, 0.7),
      near('d', 10, 0.95),
    ];
    const source = oracleLabels((r) => Promise.resolve(r.map((x) => (asked.push(x.itemId), 0))), {
      budget: 3,
      pace: 'greedy',
      select: 'margin',
      diversity: 2,
      controlFraction: 0,
    });
    await source.label(requests);
    expect(asked).toEqual(['a', 'b', 'c']);
  });
});

describe('oracleLabels window', () => {
  /** 32 requests with proposer p0 spread over [lo, hi]: entropy falls as p0 rises from 0.5. */
  const spread = (start: number, lo: number, hi: number): LabelRequest[] =>
    Array.from({ length: 32 }, (_, i) => {
      const p0 = lo + ((hi - lo) * i) / 31;
      return request(`item-${start + i}`, { proposer: Float32Array.of(p0, 1 - p0), critics: [], dissonance: 0 });
    });

  it('keeps the allowance of an easy batch for a harder one instead of labelling its least-bad items', async () => {
    const run = async (window: number): Promise<number[]> => {
      const source = oracleLabels((r) => Promise.resolve(r.map(() => 0)), {
        budget: 100,
        pace: { rate: 0.25 },
        window,
        controlFraction: 0,
      });
      const counts: number[] = [];
      for (const [b, lo, hi] of [
        [0, 0.5, 0.99],
        [1, 0.97, 0.99],
        [2, 0.5, 0.6],
      ] as const) {
        counts.push((await source.label(spread(b * 32, lo, hi))).filter((a) => a !== undefined).length);
      }
      return counts;
    };
    expect(await run(0)).toEqual([8, 8, 8]);
    expect(await run(96)).toEqual([8, 0, 16]); // the sure batch spends nothing; its 8 go to the unsure one
  });

  it('rejects a bad window', () => {
    expect(thrown(() => oracleLabels(() => Promise.resolve([]), { window: -1 })).code).toBe('E_CONFIG');
  });
});

describe('selection scores', () => {
  it('margin is 1 − (p1 − p2); BALD is consensus entropy minus mean member entropy', () => {
    expect(marginScore([0.7, 0.2, 0.1])).toBeCloseTo(0.5);
    const agree = request('x', { proposer: Float32Array.of(0.5, 0.5), critics: [Float32Array.of(0.5, 0.5)] });
    const disagree = request('y', { proposer: Float32Array.of(1, 0), critics: [Float32Array.of(0, 1)] });
    expect(baldScore(agree)).toBeCloseTo(0); // both unsure the same way: nothing to learn about the model
    expect(baldScore(disagree)).toBeCloseTo(1); // sure and opposed: one bit
    expect(scoreRequest('least-confidence', agree)).toBeCloseTo(0.5);
    expect(scoreRequest('consensus-margin', disagree)).toBeCloseTo(1);
  });
});

describe('quarantineRouting', () => {
  it('keeps oracle answers for items above maxDissonance and drops automatic ones', async () => {
    const inner = {
      name: 'mixed',
      label: (requests: readonly LabelRequest[]) =>
        Promise.resolve(
          requests.map((r) =>
            r.itemId.startsWith('o')
              ? { target: { kind: 'hard' as const, label: 1 }, weight: 1, origin: 'oracle' as const }
              : { target: { kind: 'hard' as const, label: 0 }, weight: 0.5, origin: 'pseudo' as const },
          ),
        ),
    };
    const routed = quarantineRouting(inner, () => 0.5);
    const answers = await routed.label([
      request('o-high', { dissonance: 0.9 }),
      request('p-high', { dissonance: 0.9 }),
      request('p-low', { dissonance: 0.2 }),
      request('o-nan', { dissonance: Number.NaN }),
    ]);
    expect(answers.map((a) => a?.origin)).toEqual(['oracle', undefined, 'pseudo', undefined]);
    expect(routed.quarantined).toBe(2);
  });
});
