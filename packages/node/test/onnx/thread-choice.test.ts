import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine } from '@dissonance/core';
import { chooseThreads, OnnxNodeRuntime, timeInTurns } from '../../src/onnx/index.js';
import { randomMlp, randomRows, writeOnnxMlp } from './fixtures.js';

const bytes = writeOnnxMlp(randomMlp([6, 8, 3], 7));
const criticBytes = writeOnnxMlp(randomMlp([6, 8, 3], 8));

describe('chooseThreads', () => {
  it('keeps the faster count and names every figure', () => {
    const small = chooseThreads(
      [
        { threads: undefined, msPerRun: 0.034 },
        { threads: 1, msPerRun: 0.021 },
      ],
      64,
    );
    expect(small.threads).toBe(1);
    expect(small.reason).toBe(
      "intra-op threads 1: fastest at batch 64 by measurement: 1 thread 0.021 ms/run, onnxruntime's default 0.034 ms/run",
    );
    expect(small.timings.map((t) => t.threads)).toEqual([1, undefined]);
    const large = chooseThreads(
      [
        { threads: 1, msPerRun: 21.9 },
        { threads: undefined, msPerRun: 11 },
      ],
      64,
    );
    expect(large.threads).toBeUndefined();
    expect(large.reason).toMatch(/^intra-op threads default: fastest at batch 64/);
  });

  it("a tie goes to onnxruntime's default; no timings is an error", () => {
    const tie = chooseThreads(
      [
        { threads: 1, msPerRun: 1 },
        { threads: undefined, msPerRun: 1 },
      ],
      8,
    );
    expect(tie.threads).toBeUndefined();
    expect(() => chooseThreads([], 8)).toThrow(RangeError);
  });
});

describe('timeInTurns', () => {
  it('takes turns, warms up, and reports each median within the run cap', async () => {
    let t = 0;
    const order: string[] = [];
    const call = (name: string, ms: number) => async (): Promise<void> => {
      order.push(name);
      t += ms;
    };
    const [a, b] = await timeInTurns([call('a', 2), call('b', 5)], { warmups: 1, runs: 3, now: () => t });
    expect([a, b]).toEqual([2, 5]);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('stops after one warm-up round and one timed round when calls exceed the budget', async () => {
    let t = 0;
    let calls = 0;
    const slow = async (): Promise<void> => {
      calls++;
      t += 1000;
    };
    await timeInTurns([slow, slow], { budgetMs: 100, now: () => t });
    expect(calls).toBe(4);
  });
});

describe("intraOpNumThreads: 'auto'", () => {
  afterEach(() => vi.restoreAllMocks());

  it('times one thread against the default at expectedBatch, keeps one session and says why', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 'auto', expectedBatch: 16 });
    const model = await runtime.loadBytes(bytes, { name: 'm' });
    const threads = create.mock.calls.map((call) => (call[1] as ort.InferenceSession.SessionOptions).intraOpNumThreads);
    if (availableParallelism() <= 1) {
      // One core: one thread, nothing timed.
      expect(threads).toEqual([1]);
      expect(model.providerReason).toBe('cpu: requested; intra-op threads 1: one core available');
    } else {
      expect(threads).toEqual([1, undefined]);
      expect([1, undefined]).toContain(model.intraOpNumThreads);
      expect(model.providerReason).toMatch(
        /^cpu: requested; intra-op threads (1|default): fastest at batch 16 by measurement: .* ms\/run, .* ms\/run$/,
      );
    }
    // Same outputs as a model with a fixed count.
    const fixed = await new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1 }).loadBytes(bytes);
    const x = randomRows(5, 6, 3);
    expect(await model.run(x, 5)).toEqual(await fixed.run(x, 5));
    expect(fixed.intraOpNumThreads).toBe(1);

    // The same bytes again: the cached choice, one session, no timing.
    create.mockClear();
    const again = await runtime.loadBytes(bytes, { name: 'm', version: '2' });
    expect(create).toHaveBeenCalledTimes(1);
    expect(again.intraOpNumThreads).toBe(model.intraOpNumThreads);
    expect(again.providerReason).toMatch(/\(cached for sha256 [0-9a-f]{12}\)$/);
    await Promise.all([model.dispose(), fixed.dispose(), again.dispose()]);
  });

  it('a pair opens its session with its first model’s count', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 'auto', expectedBatch: 8 });
    const proposer = await runtime.loadBytes(bytes, { name: 'p' });
    const critic = await runtime.loadBytes(criticBytes, { name: 'q' });
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const pair = await proposer.pairWith(critic);
    expect(pair).toBeDefined();
    const options = create.mock.calls.map((call) => call[1] as ort.InferenceSession.SessionOptions);
    expect(options.map((o) => o.intraOpNumThreads)).toEqual([proposer.intraOpNumThreads]);
    // And an engine on them runs.
    const engine = createEngine({ proposer, critics: [critic] });
    const result = await engine.process({ x: randomRows(4, 6, 9), rows: 4 });
    expect(result.probabilities).toHaveLength(12);
    await engine.stop();
    await Promise.all([pair!.dispose(), proposer.dispose(), critic.dispose()]);
  });

  it('rejects other strings with E_CONFIG', () => {
    expect(() => new OnnxNodeRuntime({ intraOpNumThreads: 'fast' as 'auto' })).toThrow(
      /E_CONFIG.*intraOpNumThreads must be a non-negative integer or "auto", got "fast"/,
    );
  });
});
