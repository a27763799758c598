import { createEngine, totalVariation } from '@dissonance/core';
import { describe, expect, it } from 'vitest';
import { OnnxNodeRuntime } from '../../src/onnx/index.js';
import { mlpForward, randomMlp, randomRows, writeOnnxMlp } from './fixtures.js';

describe('the engine on onnxruntime-node models', () => {
  it('serves the proposer and measures dissonance against the critic, and the runtime reloads the champion', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const p = randomMlp([8, 12, 3], 11);
    const q = randomMlp([8, 12, 3], 12);
    const proposer = await runtime.loadBytes(writeOnnxMlp(p), { name: 'proposer', version: '0' });
    const critic = await runtime.loadBytes(writeOnnxMlp(q), { name: 'critic', version: '0' });
    const engine = createEngine({ proposer, critics: [critic], runtime });
    const rows = 32;
    const x = randomRows(rows, 8, 1);
    const result = await engine.process({ x, rows });
    const wantP = mlpForward(p, x, rows);
    const wantD = totalVariation.measure(wantP, mlpForward(q, x, rows), rows, 3);
    for (let i = 0; i < wantP.length; i++) expect(Math.abs(result.probabilities[i]! - wantP[i]!)).toBeLessThan(1e-5);
    for (let r = 0; r < rows; r++) expect(Math.abs(result.dissonance[r]! - wantD[r]!)).toBeLessThan(1e-5);

    // The registered artifact is the ONNX file; the runtime loads it back as the registry's champion.
    const champion = await engine.registry.resolve('proposer', 'champion');
    expect(champion.format).toBe('onnx');
    const { artifact } = await engine.registry.fetch('proposer', champion.version);
    const reloaded = await runtime.load(artifact, champion);
    expect(Math.max(...(await reloaded.run(x, rows)).map((v, i) => Math.abs(v - wantP[i]!)))).toBeLessThan(1e-5);
    await engine.stop();
    await Promise.all([reloaded.dispose(), proposer.dispose(), critic.dispose()]);
  });
});
