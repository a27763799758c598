import { trace } from '@opentelemetry/api';
import { EventEmitter } from 'eventemitter3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { BatchRows, RowIds } from '../../src/engine/batch-rows.js';
import type { EngineEvents } from '../../src/engine/events.js';
import type { PendingItem } from '../../src/engine/pending-item.js';
import { reconcileItems, reconcileRows } from '../../src/engine/reconcile-items.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import type { LabelSource } from '../../src/ports/label-source.js';
import {
  budgetGate,
  finiteOutputGate,
  goldenGuard,
  quarantineGate,
  validateOutputGate,
} from '../../src/reconcile/index.js';
import { screenRows } from '../../src/reconcile/gate-rows.js';
import { DEFAULT_POLICY } from '../../src/schema/policy.js';

const WIDTH = 2;
const K = 3;
const span = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });

/** A row a model could return: mostly a distribution, sometimes broken (NaN, ±Infinity, negative, not summing to 1). */
const outputRow = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom([0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      [Number.NaN, 0.5, 0.5],
      [Number.POSITIVE_INFINITY, 0, 0],
      [0.5, Number.NEGATIVE_INFINITY, 0.5],
      [1.2, -0.2, 0],
      [0.6, 0.6, 0],
    ),
  },
);
const output = (rows: number) => fc.array(outputRow, { minLength: rows, maxLength: rows }).map((r) => r.flat());

const batchArb = fc.integer({ min: 1, max: 12 }).chain((rows) =>
  fc.record({
    rows: fc.constant(rows),
    x: fc.array(fc.constantFrom(0, 1, 2, 3), { minLength: rows * WIDTH, maxLength: rows * WIDTH }),
    proposer: output(rows),
    critics: fc.array(output(rows), { minLength: 1, maxLength: 2 }),
    dissonance: fc.array(fc.oneof(fc.constantFrom(0, 0.05, 0.2, 0.4, 0.9), fc.constant(Number.NaN)), {
      minLength: rows,
      maxLength: rows,
    }),
    tokens: fc.integer({ min: 1, max: 6 }),
    labelled: fc.boolean(),
    withIds: fc.boolean(),
    screened: fc.boolean(),
    // The detect stage's range of the dissonance (what lets the budget and quarantine gates skip their loops).
    ranged: fc.boolean(),
  }),
);

/** Fresh gates (the budget is stateful) as the engine builds them, with a golden row `[1, 1]` and golden id `g`. */
function gates(tokens: number, clock: ManualClock) {
  const policy = { ...DEFAULT_POLICY, dBudgetPerHour: tokens, maxDissonance: 0.5 };
  return [
    finiteOutputGate(),
    validateOutputGate({}),
    goldenGuard({ x: Float32Array.of(1, 1), rows: 1, labels: [0], ids: ['g'] }, WIDTH),
    quarantineGate(() => policy),
    budgetGate(() => policy, clock),
  ];
}

const labels: LabelSource = {
  name: 'first-class',
  label: async (requests) =>
    requests.map((r, i) =>
      i % 3 === 2 ? undefined : { target: { kind: 'hard', label: r.itemId.length % K }, weight: 1, origin: 'oracle' },
    ),
};

describe('reconcileRows (the engine batch path) decides exactly as reconcileItems', () => {
  it('same outcomes, events, examples and budget state for any batch', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async (b) => {
        const x = Float32Array.from(b.x);
        const proposer = Float32Array.from(b.proposer);
        const critics = b.critics.map((c) => Float32Array.from(c));
        const ids = b.withIds ? Array.from({ length: b.rows }, (_, r) => (r === 1 ? 'g' : `id${r}`)) : undefined;
        const run = async (path: 'rows' | 'items') => {
          const clock = new ManualClock(1000);
          const events = new EventEmitter<EngineEvents>();
          const seen: unknown[] = [];
          events.on('blocked', (e) => seen.push(['blocked', e]));
          events.on('deferred', (e) => seen.push(['deferred', e]));
          events.on('example', (e) => seen.push(['example', e.examples.map((ex) => [ex.id, ex.target, [...ex.x]])]));
          const store = new MemoryStore();
          const dissonance = Float32Array.from(b.dissonance);
          // Screened as the engine does, or not at all (the gates then check every row themselves).
          const flags = b.screened ? screenRows(proposer, critics, dissonance, b.rows, K, 1e-3) : undefined;
          const rowIds = new RowIds('b1', b.rows, ids);
          const context = {
            batchId: 'b1',
            gates: gates(b.tokens, clock),
            labels: b.labelled ? labels : undefined,
            store,
            now: clock.now(),
            events,
            span,
            canary: undefined,
          };
          let outcome;
          if (path === 'rows') {
            const batch = new BatchRows(
              b.rows,
              WIDTH,
              K,
              x,
              proposer,
              critics,
              dissonance,
              flags,
              b.screened ? 1e-3 : undefined,
              rowIds,
              [],
              'v1',
              undefined,
              b.ranged ? Math.min(...dissonance) : Number.NaN,
              b.ranged ? Math.max(...dissonance) : Number.NaN,
            );
            outcome = await reconcileRows({ ...context, rows: batch });
          } else {
            const items: PendingItem[] = Array.from({ length: b.rows }, (_, r) => ({
              itemId: rowIds.get(r),
              x: x.subarray(r * WIDTH, (r + 1) * WIDTH),
              proposer: proposer.subarray(r * K, (r + 1) * K),
              critics: critics.map((q) => q.subarray(r * K, (r + 1) * K)),
              dissonance: dissonance[r]!,
              proposerVersion: 'v1',
            }));
            outcome = await reconcileItems({ ...context, items });
          }
          const budget = context.gates[4] as ReturnType<typeof budgetGate>;
          return { outcome, seen, held: await store.countExamples(), tokens: budget.bucket.available(clock.now()) };
        };
        expect(await run('rows')).toEqual(await run('items'));
      }),
      { numRuns: 300 },
    );
  });
});
