import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Core's ONNX writer and MLP helpers.
import { createPrng, decodeOnnxModel, initMlp, writeOnnxMlp, type MlpWeights } from '@dissonance/core/mlp';
// Test-only: re-encode a decoded graph after editing it (not part of the public API).
import { encodeOnnxModel } from '../../../core/src/onnx/encode-model.js';

export { mlpForward } from '@dissonance/core/mlp';
export { writeOnnxMlp };
export type { MlpWeights };

/** A seeded MLP with random (non-zero) biases: `[inputWidth, ...hidden, classes]`. */
export function randomMlp(widths: readonly number[], seed: number): MlpWeights {
  const inputWidth = widths[0]!;
  const classes = widths[widths.length - 1]!;
  const weights = initMlp({ inputWidth, hidden: widths.slice(1, -1), classes, seed });
  const prng = createPrng(seed + 1);
  for (const layer of weights.layers) for (let i = 0; i < layer.bias.length; i++) layer.bias[i] = 0.2 * prng.normal();
  return weights;
}

/** `rows × width` seeded normal features. */
export function randomRows(rows: number, width: number, seed: number): Float32Array {
  const prng = createPrng(seed);
  return Float32Array.from({ length: rows * width }, () => prng.normal());
}

/**
 * The same MLP as {@link writeOnnxMlp} writes, without its final Softmax: the graph output `logits` holds
 * the last layer's raw scores.
 */
export function writeLogitsMlp(weights: MlpWeights): Uint8Array {
  const model = decodeOnnxModel(writeOnnxMlp(weights));
  const graph = model.graph!;
  const node = graph.node.filter((n) => n.opType !== 'Softmax');
  const last = node[node.length - 1]!.output[0]!;
  const output = graph.output.map((o) => ({ ...o, name: last }));
  return encodeOnnxModel({ ...model, graph: { ...graph, node, output } });
}

/** {@link writeOnnxMlp}'s model with every graph input and output dimension made symbolic (`N`, `D`, `K`). */
export function writeSymbolicMlp(weights: MlpWeights): Uint8Array {
  const model = decodeOnnxModel(writeOnnxMlp(weights));
  const graph = model.graph!;
  const symbolic = (param: string) => (o: (typeof graph.input)[number]) => ({
    ...o,
    type: { tensorType: { elemType: o.type?.tensorType?.elemType ?? 1, shape: [{ param: 'N' }, { param }] } },
  });
  return encodeOnnxModel({
    ...model,
    graph: { ...graph, input: graph.input.map(symbolic('D')), output: graph.output.map(symbolic('K')) },
  });
}

/** A fresh temp folder, and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dissonance-onnx-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A fresh temp folder holding what scripts/python/onnx_fixtures.py writes (skl2onnx and torch.onnx.export models,
 * `<name>.onnx` and `<name>.json`), made with the project's venv (scripts/python-env.sh sets it up).
 */
export function pythonOnnxFixtures(prefix: string): string {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const python =
    execFileSync('bash', ['scripts/python-env.sh'], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
  execFileSync(python, ['scripts/python/onnx_fixtures.py', dir], { cwd: root, stdio: 'ignore' });
  return dir;
}
