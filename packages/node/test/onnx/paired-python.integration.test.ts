import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxNodeRuntime, type OnnxNodeModel } from '@dissonance/node';
import { pythonOnnxFixtures, randomMlp, randomRows, writeOnnxMlp } from './fixtures.js';

describe('pairing skl2onnx and torch.onnx.export models in one session', () => {
  let dir = '';
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
  const load = (name: string, version = '1'): Promise<OnnxNodeModel> =>
    runtime.loadBytes(new Uint8Array(readFileSync(join(dir, `${name}.onnx`))), { name, version });

  beforeAll(() => {
    dir = pythonOnnxFixtures('dissonance-paired-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Largest |Δ| between the pair's outputs and the two models' own, over `rows` seeded rows. */
  async function pairedDelta(a: OnnxNodeModel, b: OnnxNodeModel, rows: number): Promise<number> {
    const pair = await a.pairWith(b);
    expect(pair, `${a.name} + ${b.name}`).toBeDefined();
    const x = randomRows(rows, a.inputWidth, 5);
    const [p, q] = await pair!.run(x, rows);
    const [pa, qb] = await Promise.all([a.run(x, rows), b.run(x, rows)]);
    let delta = 0;
    for (const [got, want] of [
      [p, pa],
      [q, qb],
    ] as const) {
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) delta = Math.max(delta, Math.abs(got[i]! - want[i]!));
    }
    await pair!.dispose();
    return delta;
  }

  it('gives each model’s own outputs: skl2onnx (ai.onnx.ml) with this SDK’s MLP, either way round, and with itself', async () => {
    const sklearn = await load('sklearn_digits');
    const twin = await load('sklearn_digits', '2');
    const sdk = await runtime.loadBytes(writeOnnxMlp(randomMlp([64, 32, 10], 3)), { name: 'sdk' });
    expect(await pairedDelta(sklearn, sdk, 200)).toBe(0);
    expect(await pairedDelta(sdk, sklearn, 200)).toBe(0);
    expect(await pairedDelta(sklearn, twin, 200)).toBe(0);
    await Promise.all([sklearn.dispose(), twin.dispose(), sdk.dispose()]);
  });

  it('gives each model’s own outputs: torch.onnx.export logits with its softmax variant', async () => {
    const logits = await load('torch_legacy');
    const softmax = await load('torch_legacy_softmax');
    expect(logits.outputKind).toBe('logits');
    expect(await pairedDelta(logits, softmax, 200)).toBe(0);
    expect(await pairedDelta(softmax, logits, 200)).toBe(0);
    if (existsSync(join(dir, 'torch_dynamo.onnx'))) {
      // The dynamo exporter's graph may use local functions or another opset: paired exactly, or refused by name.
      const dynamo = await load('torch_dynamo');
      const outcome = await logits.pairWith(dynamo).then(
        async (pair) => {
          await pair?.dispose();
          return pairedDelta(logits, dynamo, 200);
        },
        (error: Error) => error.message,
      );
      console.log(`torch_legacy + torch_dynamo: ${outcome}`);
      if (typeof outcome === 'number') expect(outcome).toBe(0);
      else expect(outcome).toMatch(/cannot pair these ONNX models|fails its probe/);
      await dynamo.dispose();
    }
    await Promise.all([logits.dispose(), softmax.dispose()]);
  });
});
