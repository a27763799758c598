import { describe, expect, it } from 'vitest';
import { createEngine, FunctionModel, oracleLabels, type EngineConfig } from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, slowModel } from './fixtures.js';
import { rejectionOf as rejection } from '../../src/testing/index.js';

const base = (): EngineConfig => ({
  proposer: linearModel('p', GOOD_WEIGHTS),
  critics: [linearModel('q', GOOD_WEIGHTS)],
  labels: oracleLabels(async (requests) => requests.map(() => 0)),
  maxBatchRows: 8,
});

describe('bad input gets a typed error and loses nothing already accepted', () => {
  it.each([
    ['NaN', { x: Float32Array.of(1, 2, Number.NaN, 4), rows: 2 }, /row 1.*column 0 is NaN/],
    ['+Infinity', { x: Float32Array.of(1, Number.POSITIVE_INFINITY), rows: 1 }, /column 1 is Infinity/],
    ['-Infinity', { x: Float32Array.of(Number.NEGATIVE_INFINITY, 1), rows: 1 }, /column 0 is -Infinity/],
    ['wrong width', { x: Float32Array.of(1, 2, 3), rows: 1 }, /wrong width.*expected.*2.*got 3/],
    ['empty batch', { x: new Float32Array(0), rows: 0 }, /empty batch/],
    ['oversized batch', { x: new Float32Array(18), rows: 9 }, /oversized batch: 9 rows > maxRows 8/],
  ])('%s → E_INPUT naming the problem', async (_name, batch, message) => {
    const engine = createEngine(base());
    await engine.process({ x: Float32Array.of(0, 2, 2, -1), rows: 2, ids: ['a', 'b'] });
    const error = await rejection(engine.process(batch));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toMatch(message);
    // The engine keeps running and the earlier batch is fully accounted for.
    await engine.process({ x: Float32Array.of(-2, -1), rows: 1, ids: ['c'] });
    const summary = await engine.stop();
    expect(summary).toMatchObject({ accepted: 3, processed: 3, examples: 3, failed: 0 });
    expect(await engine.store.countExamples()).toBe(3);
  });

  it('unknown config keys are errors naming the key, at top level and nested', () => {
    const bad = { ...base(), retrian: {} } as unknown as EngineConfig;
    expect(() => createEngine(bad)).toThrow(/E_CONFIG.*unknown key\(s\) "retrian"/);
    const nested = { ...base(), policy: { dTraget: 0.1 } } as unknown as EngineConfig;
    expect(() => createEngine(nested)).toThrow(/policy: unknown key\(s\) "dTraget"/);
    const badValue = { ...base(), policy: { maxDissonance: Number.NaN } } as unknown as EngineConfig;
    expect(() => createEngine(badValue)).toThrow(/E_CONFIG.*policy.maxDissonance/);
  });

  it('critics must match the proposer shape', () => {
    const critic = new FunctionModel({ name: 'q3', inputWidth: 3, classes: 3, run: () => new Float32Array(3) });
    expect(() => createEngine({ ...base(), critics: [critic] })).toThrow(/critic q3 is 3→3 but the proposer is 2→3/);
    expect(() => createEngine({ ...base(), critics: [] })).toThrow(/at least one critic/);
    const { critics: _, ...noCritics } = base();
    expect(() => createEngine(noCritics as EngineConfig)).toThrow(
      /critics: missing: at least one critic is needed to measure dissonance/,
    );
  });

  it('golden labels must be classes of the proposer', () => {
    const x = Float32Array.of(1, 2, 3, 4);
    expect(() => createEngine({ ...base(), golden: { x, rows: 2, labels: [0, 3] } })).toThrow(
      /E_CONFIG: golden set: label of row 1 is 3, expected a class in 0…2/,
    );
    expect(() => createEngine({ ...base(), golden: { x, rows: 2, labels: [-1, 0] } })).toThrow(/row 0 is -1/);
    expect(() => createEngine({ ...base(), golden: { x, rows: 2, labels: [0.5, 0] } })).toThrow(/row 0 is 0.5/);
    expect(() => createEngine({ ...base(), golden: { x, rows: 2, labels: Int32Array.of(2, 1) } })).not.toThrow();
  });

  it('a model that returns the wrong shape fails its batch with E_MODEL; rows are counted as failed', async () => {
    let broken = false;
    const proposer = new FunctionModel({
      name: 'p',
      inputWidth: 2,
      classes: 3,
      run: (x, rows) => (broken ? new Float32Array(1) : linearModel('p', GOOD_WEIGHTS).run(x, rows)),
    });
    const engine = createEngine({ ...base(), proposer });
    const errors: string[] = [];
    engine.on('error', (e) => errors.push(e.error.code));
    broken = true;
    const error = await rejection(engine.process({ x: Float32Array.of(1, 1), rows: 1 }));
    expect(error.code).toBe('E_MODEL');
    broken = false;
    await engine.process({ x: Float32Array.of(1, 1), rows: 1 });
    const s = await engine.stop();
    expect(s).toMatchObject({ accepted: 2, processed: 1, failed: 1 });
    expect(s.accepted).toBe(s.processed + s.blocked + s.deferred + s.failed);
    expect(errors).toEqual(['E_MODEL']);
  });

  it('a model emitting NaN makes no training data (validate gate)', async () => {
    const nanModel = new FunctionModel({
      name: 'q',
      inputWidth: 2,
      classes: 3,
      run: (_x, rows) => new Float32Array(rows * 3).fill(Number.NaN),
    });
    const engine = createEngine({ ...base(), critics: [nanModel] });
    const result = await engine.process({ x: Float32Array.of(1, 1), rows: 1 });
    expect(result.outcome.blocked).toBe(1);
    expect(await engine.store.countExamples()).toBe(0);
    await engine.stop();
  });

  it('after stop, process is refused with E_STOPPED', async () => {
    const engine = createEngine(base());
    await engine.stop();
    expect((await rejection(engine.process({ x: Float32Array.of(1, 1), rows: 1 }))).code).toBe('E_STOPPED');
  });
});

describe('backpressure', () => {
  const slow = (delayMs: number): FunctionModel => slowModel(delayMs);

  it("overload 'reject' refuses with E_OVERLOADED when the queue is full, and keeps what it accepted", async () => {
    const engine = createEngine({
      proposer: slow(20),
      critics: [slow(20)],
      concurrency: 1,
      maxQueue: 2,
      overload: 'reject',
    });
    await engine.ready();
    const accepted = [0, 1, 2].map((i) => engine.process({ x: Float32Array.of(i), rows: 1 }));
    const refused = await rejection(engine.process({ x: Float32Array.of(9), rows: 1 }));
    expect(refused.code).toBe('E_OVERLOADED');
    expect(refused.details).toMatchObject({ maxQueue: 2 });
    await Promise.all(accepted);
    expect(await engine.stop()).toMatchObject({ accepted: 3, processed: 3 });
  });

  it("overload 'wait' holds callers until there is room; everything is processed", async () => {
    const engine = createEngine({ proposer: slow(5), critics: [slow(5)], concurrency: 1, maxQueue: 2 });
    const all = await Promise.all(
      Array.from({ length: 8 }, (_, i) => engine.process({ x: Float32Array.of(i), rows: 1 })),
    );
    expect(all).toHaveLength(8);
    expect(await engine.stop()).toMatchObject({ accepted: 8, processed: 8 });
  });
});
