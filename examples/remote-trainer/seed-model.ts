import { DEFAULT_POLICY, type CommitteeDetector, type LoadedModel, type Trainer } from '@dissonance/core';
import { seedSetParts } from '../../packages/cli/src/demo/loop-parts.js';
import type { LoopSettings } from '../../packages/cli/src/demo/loop-settings.js';
import type { SeedData } from '../../packages/cli/src/demo/seed-data.js';

/**
 * The first proposer of the remote path: the worker fits its model (the CNN, the gradient-boosting
 * classifier) on the seed set, through the same trainer as every later retrain. There is no champion yet, so
 * the job's base is a stand-in without an artifact (an empty `base_sha256`: the handler starts from its
 * factory), with no critics and no reference rows (no dissonance term, no KL guard). Resolves to the ONNX
 * bytes the worker returned, which the engine then serves as the seed-set model. No weights are committed:
 * each run trains its own.
 */
export async function seedModelFromWorker(
  trainer: Trainer,
  data: SeedData,
  settings: LoopSettings,
  detector: CommitteeDetector,
  name: string,
): Promise<Uint8Array> {
  const { seedExamples } = seedSetParts(data);
  const none: LoadedModel = {
    name,
    version: 'none',
    inputWidth: data.width,
    classes: data.classes,
    run: (_x, rows) => Promise.resolve(new Float32Array(rows * data.classes).fill(1 / data.classes)),
  };
  const policy = { ...DEFAULT_POLICY, ...settings.policy };
  const candidate = await trainer.fit(none, seedExamples, {
    dTarget: policy.dTarget,
    lambdaMax: policy.lambdaMax,
    klEps: policy.klEps,
    critics: [],
    detector,
    reference: { x: new Float32Array(0), rows: 0 },
    seed: data.seed,
  });
  await candidate.model.dispose?.();
  return candidate.artifact.bytes;
}
