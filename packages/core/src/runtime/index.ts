/** Model runtime helpers that work with any {@link LoadedModel}. */
export { MicroBatcher } from './micro-batcher.js';
export type { MicroBatcherOptions, MicroBatcherStats } from './micro-batcher.js';
export { batchTimers } from './batch-timers.js';
export { chooseInput, chooseOutput, inputDims, PREFERRED_OUTPUT_NAMES } from './onnx-session-io.js';
export type { ChosenInput, ChosenOutput, OnnxSessionInfo, OnnxValueInfo } from './onnx-session-io.js';
export { softmaxRows, looksLikeProbabilities } from './softmax-rows.js';
export { resolveSessionIo, readProbabilities, checkRunInput, PROBE_ROWS } from './session-io.js';
export type { OutputKind, SessionIoView, ResolvedSessionIo, ProbeRun } from './session-io.js';
