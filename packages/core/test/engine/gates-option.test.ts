import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_GATES,
  createEngine,
  DEFAULT_GATES,
  FunctionModel,
  oracleLabels,
  PASS,
  type Gate,
} from '../../src/index.js';
import { expectCode } from '../../src/testing/index.js';

/** A two-class model that always answers `[p0, 1 − p0]`. */
function constant(p0: number, name: string): FunctionModel {
  return new FunctionModel({
    name,
    inputWidth: 1,
    classes: 2,
    run: (_x, rows) => {
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        out[2 * r] = p0;
        out[2 * r + 1] = 1 - p0;
      }
      return out;
    },
  });
}

/** Proposer and critic that disagree by 0.4 on every item (dissonant, below quarantine). */
const models = () => ({ proposer: constant(0.7, 'p'), critics: [constant(0.3, 'q')] });

const batch = (n: number) => ({
  x: Float32Array.from({ length: n }, (_, i) => i),
  rows: n,
  ids: Array.from({ length: n }, (_, i) => `i${i}`),
});

/** A gate of the embedder's own: blocks items whose feature is odd. */
const oddBlocker: Gate = {
  name: 'odd',
  check: (item) =>
    item.x[0]! % 2 === 1 ? { outcome: 'block', reason: 'invalid-output', message: `item ${item.itemId} is odd` } : PASS,
};

describe('engine gates option', () => {
  it('defaults to every built-in gate in the order finite, validate, golden, quarantine, budget', () => {
    expect(BUILT_IN_GATES).toEqual(['finite', 'validate', 'golden', 'quarantine', 'budget']);
    expect(DEFAULT_GATES).toEqual(BUILT_IN_GATES);
  });

  it('runs an own gate where it is listed, and reports it by name in blocked events', async () => {
    const blocked: { itemId: string; gate: string }[] = [];
    const engine = createEngine({
      ...models(),
      labels: oracleLabels(async (requests) => requests.map(() => 0), { pace: 'greedy' }),
      gates: ['finite', 'validate', oddBlocker, 'budget'],
    });
    engine.on('blocked', (event) => blocked.push(...event.items.map(({ itemId, gate }) => ({ itemId, gate }))));
    const result = await engine.process(batch(6));
    expect(result.outcome).toEqual({ examples: 3, unlabelled: 0, blocked: 3, deferred: 0 });
    expect(blocked).toEqual([
      { itemId: 'i1', gate: 'odd' },
      { itemId: 'i3', gate: 'odd' },
      { itemId: 'i5', gate: 'odd' },
    ]);
    await engine.stop();
  });

  it('leaves out a built-in gate that is not listed: without budget nothing is deferred', async () => {
    const run = async (gates: readonly ('finite' | 'validate' | 'budget')[] | undefined) => {
      const engine = createEngine({
        ...models(),
        labels: oracleLabels(async (requests) => requests.map(() => 0), { pace: 'greedy' }),
        policy: { dBudgetPerHour: 2 },
        ...(gates === undefined ? {} : { gates }),
      });
      const { outcome } = await engine.process(batch(5));
      await engine.stop();
      return outcome;
    };
    expect(await run(undefined)).toEqual({ examples: 2, unlabelled: 0, blocked: 0, deferred: 3 });
    expect(await run(['finite', 'validate'])).toEqual({ examples: 5, unlabelled: 0, blocked: 0, deferred: 0 });
  });

  it('refuses a list without finite first, an unknown name, a name twice and a gate without check, with E_CONFIG', async () => {
    const { proposer, critics } = models();
    await expectCode(() => createEngine({ proposer, critics, gates: ['validate', 'finite'] }), 'E_CONFIG');
    await expectCode(() => createEngine({ proposer, critics, gates: [] }), 'E_CONFIG');
    await expectCode(() => createEngine({ proposer, critics, gates: ['finite', 'budgte' as 'budget'] }), 'E_CONFIG');
    await expectCode(() => createEngine({ proposer, critics, gates: ['finite', 'budget', 'budget'] }), 'E_CONFIG');
    await expectCode(
      () => createEngine({ proposer, critics, gates: ['finite', { name: 'x' } as unknown as Gate] }),
      'E_CONFIG',
    );
  });
});
