import { BUFFER_ONLY_METADATA_KEY, deriveSeed, fitMlp, initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { LabelledRows } from './labelled-rows.js';
import type { LoopSettings } from './loop-settings.js';
import type { SeedData } from './seed-data.js';

/**
 * Fits the first proposer on the seed set (same for every strategy of a seed) and returns its ONNX bytes. The
 * seed set is the replay buffer's first examples, so the proposer is marked as learnt from the buffer only
 * (`BUFFER_ONLY_METADATA_KEY`): the built-in trainer may refit it from fresh weights.
 */
export function fitSeedProposer(data: SeedData, settings: LoopSettings, name: string): Uint8Array {
  const rows = new LabelledRows(data.width, data.classes);
  for (let r = 0; r < data.seedSet.rows; r++)
    rows.add(data.seedSet.x.subarray(r * data.width, (r + 1) * data.width), data.seedSet.labels[r]!);
  const seed = deriveSeed(data.seed, 11);
  const initial = initMlp({ inputWidth: data.width, hidden: settings.hidden, classes: data.classes, seed });
  const { weights } = fitMlp(initial, rows.data(), {
    epochs: settings.seedEpochs,
    batchSize: 16,
    learningRate: settings.seedLearningRate,
    l2: 1e-4,
    seed: deriveSeed(seed, 1),
  });
  return writeOnnxMlp(weights, {
    graphName: name,
    metadata: { 'dissonance.trained_on': 'seed-set', [BUFFER_ONLY_METADATA_KEY]: 'true' },
  });
}
