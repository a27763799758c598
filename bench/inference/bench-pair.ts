import * as ort from 'onnxruntime-node';
import { createEngine, type Engine, type EngineConfig } from '../../packages/core/src/index.js';
import { OnnxNodeRuntime, type OnnxNodeModel } from '../../packages/node/src/onnx/index.js';
import { benchModelBytes, NEVER_GATED, rawSessionOptions } from './models.js';

/** The CPU benches' subjects: the two bench models as the SDK loads them, as raw sessions, and an engine on them. */
export interface BenchPair {
  readonly proposer: OnnxNodeModel;
  readonly critic: OnnxNodeModel;
  /** The same models in raw sessions with the SDK's session options ({@link rawSessionOptions}). */
  readonly rawProposer: ort.InferenceSession;
  readonly rawCritic: ort.InferenceSession;
  /** `createEngine({ proposer, critics: [critic], concurrency: 1, policy: NEVER_GATED })`, ready. */
  readonly engine: Engine;
  /** Stops the engine and releases every session. */
  close(): Promise<void>;
}

/** Opens {@link BenchPair} on the CPU: seeds 1 and 2 of {@link benchModelBytes}. */
export async function openBenchPair(options: {
  readonly maxBatchRows: number;
  readonly threads?: number;
  readonly allowSpinning?: boolean;
  /** Makes the engine (default: this tree's `createEngine`; compare-commits.ts passes another checkout's). */
  readonly create?: (config: EngineConfig) => Engine;
}): Promise<BenchPair> {
  const { maxBatchRows, threads, allowSpinning = false, create = createEngine } = options;
  const runtime = new OnnxNodeRuntime({
    executionProvider: 'cpu',
    allowSpinning,
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  });
  const proposerBytes = benchModelBytes(1);
  const criticBytes = benchModelBytes(2);
  const proposer = await runtime.loadBytes(proposerBytes, { name: 'proposer', version: '1' });
  const critic = await runtime.loadBytes(criticBytes, { name: 'critic', version: '1' });
  const rawOptions = rawSessionOptions('cpu', threads, allowSpinning);
  const rawProposer = await ort.InferenceSession.create(proposerBytes, rawOptions);
  const rawCritic = await ort.InferenceSession.create(criticBytes, rawOptions);
  const engine = create({ proposer, critics: [critic], maxBatchRows, concurrency: 1, policy: NEVER_GATED });
  await engine.ready();
  return {
    proposer,
    critic,
    rawProposer,
    rawCritic,
    engine,
    async close() {
      await engine.stop();
      await Promise.all([proposer.dispose(), critic.dispose(), rawProposer.release(), rawCritic.release()]);
    },
  };
}
