import { describe, expect, it } from 'vitest';
import type { LabelRequest } from '../../src/ports/label-source.js';
import { oracleLabels } from '../../src/labels/index.js';
import { rejected, request, thrown } from './fixtures.js';

/** An oracle that answers class 1 for everything and records what it was asked. */
function recorder() {
  const asked: string[][] = [];
  const callback = (requests: readonly LabelRequest[]) => {
    asked.push(requests.map((r) => r.itemId));
    return Promise.resolve(requests.map(() => 1));
  };
  return { asked, callback };
}

describe('oracleLabels', () => {
  it('answers hard targets with origin oracle and the weight', async () => {
    const { callback } = recorder();
    const source = oracleLabels(callback, { weight: 0.8 });
    expect(source.name).toBe('oracle');
    const answers = await source.label([request('a'), request('b')]);
    expect(answers).toEqual([
      { target: { kind: 'hard', label: 1 }, weight: 0.8, origin: 'oracle' },
      { target: { kind: 'hard', label: 1 }, weight: 0.8, origin: 'oracle' },
    ]);
    expect(source.used).toBe(2);
    expect(source.remaining).toBe(Number.POSITIVE_INFINITY);
  });

  it('stops asking when the budget is spent', async () => {
    const { asked, callback } = recorder();
    const source = oracleLabels(callback, { budget: 3, pace: 'greedy' });
    await source.label([request('a'), request('b')]);
    expect(source.used).toBe(2);
    expect(source.remaining).toBe(1);
    const second = await source.label([request('c'), request('d')]);
    expect(second.filter((a) => a !== undefined)).toHaveLength(1);
    expect(source.remaining).toBe(0);
    const third = await source.label([request('e')]);
    expect(third).toEqual([undefined]);
    expect(asked).toEqual([['a', 'b'], ['c']]); // not called at all the third time
  });

  it('asks for the highest-dissonance requests first when the budget cannot cover all', async () => {
    const { asked, callback } = recorder();
    const source = oracleLabels(callback, { budget: 2, pace: 'greedy', select: 'dissonance' });
    const answers = await source.label([
      request('low', { dissonance: 0.2 }),
      request('top', { dissonance: 0.9 }),
      request('mid', { dissonance: 0.5 }),
      request('tie', { dissonance: 0.5 }),
    ]);
    expect(asked).toEqual([['top', 'mid']]); // original order; tie goes to the earlier one
    expect(answers.map((a) => a !== undefined)).toEqual([false, true, true, false]);
  });

  it('only asks about requests at or above minDissonance', async () => {
    const { asked, callback } = recorder();
    const source = oracleLabels(callback, { minDissonance: 0.3 });
    const answers = await source.label([request('a', { dissonance: 0.29 }), request('b', { dissonance: 0.3 })]);
    expect(asked).toEqual([['b']]);
    expect(answers[0]).toBeUndefined();
    expect(answers[1]).toBeDefined();
  });

  it('does not count undefined answers against the budget', async () => {
    const source = oracleLabels(
      (requests) => Promise.resolve(requests.map((r) => (r.itemId === 'a' ? 0 : undefined))),
      {
        budget: 5,
        pace: 'greedy',
      },
    );
    const answers = await source.label([request('a'), request('b')]);
    expect(answers[0]).toMatchObject({ target: { kind: 'hard', label: 0 } });
    expect(answers[1]).toBeUndefined();
    expect(source.used).toBe(1);
    expect(source.remaining).toBe(4);
  });

  it('reserves budget for calls in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const source = oracleLabels(
      async (requests) => {
        await gate;
        return requests.map(() => 0);
      },
      { budget: 3, pace: 'greedy' },
    );
    const first = source.label([request('a'), request('b')]);
    expect(source.remaining).toBe(1);
    const second = source.label([request('c'), request('d')]);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.filter(Boolean)).toHaveLength(2);
    expect(b.filter(Boolean)).toHaveLength(1);
    expect(source.used).toBe(3);
  });

  it.each([2, -1, 0.5, Number.NaN, '1'])('rejects the label %s naming the item', async (label) => {
    const source = oracleLabels((requests) => Promise.resolve(requests.map(() => label as number)), {
      budget: 10,
      pace: 'greedy',
    });
    const error = await rejected(source.label([request('ok', { dissonance: 0.1 }), request('item-42')]));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('"ok"'); // the first bad label is reported
    expect(error.message).toContain('[0, 2)');
    expect(source.used).toBe(0);
    expect(source.remaining).toBe(10);
  });

  it('names the item carrying the bad label', async () => {
    const source = oracleLabels((requests) => Promise.resolve(requests.map((r) => (r.itemId === 'item-42' ? 7 : 0))));
    const error = await rejected(source.label([request('ok'), request('item-42')]));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('"item-42"');
    expect(error.details).toMatchObject({ itemId: 'item-42', label: '7', classes: 2 });
  });

  it('rejects a wrong number of answers', async () => {
    const source = oracleLabels(() => Promise.resolve([0]));
    const error = await rejected(source.label([request('a'), request('b')]));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('1 answers for 2 requests');
  });

  it('lets a callback error through and spends nothing', async () => {
    const source = oracleLabels(() => Promise.reject(new Error('queue down')), { budget: 2, pace: 'greedy' });
    await expect(source.label([request('a')])).rejects.toThrow('queue down');
    expect(source.remaining).toBe(2);
  });

  it('rejects bad options', () => {
    const cb = () => Promise.resolve([]);
    expect(thrown(() => oracleLabels(cb, { budget: -1 })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { budget: 1.5 })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { weight: 0 })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { weight: 1.1 })).code).toBe('E_CONFIG');
    expect(thrown(() => oracleLabels(cb, { minDissonance: Number.NaN })).code).toBe('E_CONFIG');
  });
});
