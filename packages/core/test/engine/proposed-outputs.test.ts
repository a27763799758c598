import { describe, expect, it } from 'vitest';
import { createEngine, FunctionModel, oracleLabels, type ExampleEvent } from '../../src/index.js';
import { rejectionOf } from '../../src/testing/index.js';
import { GOOD_WEIGHTS, linearModel } from './fixtures.js';

/** A proposer that must never run: the outputs come from elsewhere. */
function elsewhere(): { model: FunctionModel; calls: () => number } {
  let calls = 0;
  const model = new FunctionModel({
    name: 'elsewhere',
    inputWidth: 2,
    classes: 3,
    run: async (_x, rows) => {
      calls++;
      return new Float32Array(rows * 3).fill(1 / 3);
    },
  });
  return { model, calls: () => calls };
}

describe('process() with outputs a proposer elsewhere produced (a detect stage worker)', () => {
  it('runs only the critics, the detector and reconcile on the given probabilities', async () => {
    const proposer = elsewhere();
    const engine = createEngine({
      proposer: proposer.model,
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map(() => 1)),
    });
    await engine.ready();
    const before = proposer.calls();
    const examples: ExampleEvent[] = [];
    engine.on('example', (e) => examples.push(e));
    // Row 0 agrees with the critic (class 0 region), row 1 contradicts it.
    const x = Float32Array.of(0, 3, 0, 3);
    const probabilities = Float32Array.of(0.98, 0.01, 0.01, 0.01, 0.01, 0.98);
    const result = await engine.process(
      { x, rows: 2, ids: ['a', 'b'] },
      { proposed: { probabilities, versions: ['7', '7'] } },
    );
    expect(proposer.calls()).toBe(before);
    expect(Array.from(result.probabilities)).toEqual(Array.from(probabilities));
    expect(result.dissonance[0]!).toBeLessThan(0.1);
    expect(result.dissonance[1]!).toBeGreaterThan(0.5);
    const versions = examples.flatMap((e) => e.examples.map((x) => x.provenance.proposerVersion));
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions)).toEqual(new Set(['7']));
    await engine.stop();
  });

  it.each([
    ['too few values', { probabilities: new Float32Array(3) }, /rows × classes = 6/],
    [
      'a NaN',
      { probabilities: Float32Array.of(Number.NaN, 0, 0, 0, 0, 1) },
      /finite values in \[0, 1\]: row 0, class 0 is NaN/,
    ],
    [
      'an Infinity',
      { probabilities: Float32Array.of(0, 0, 1, 0, Number.POSITIVE_INFINITY, 0) },
      /row 1, class 1 is Infinity/,
    ],
    [
      'a version count that does not match the rows',
      { probabilities: new Float32Array(6).fill(1 / 3), versions: ['1'] },
      /one version per row/,
    ],
  ])('%s → E_INPUT, and the engine keeps going', async (_name, proposed, message) => {
    const engine = createEngine({ proposer: elsewhere().model, critics: [linearModel('q', GOOD_WEIGHTS)] });
    const error = await rejectionOf(engine.process({ x: new Float32Array(4), rows: 2 }, { proposed }));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toMatch(message);
    const ok = await engine.process(
      { x: new Float32Array(4), rows: 2 },
      { proposed: { probabilities: new Float32Array(6).fill(1 / 3) } },
    );
    expect(ok.dissonance).toHaveLength(2);
    expect((await engine.stop()).accepted).toBe(2);
  });
});
