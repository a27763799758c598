/** Model runtime helpers that work with any {@link LoadedModel}. */
export { MicroBatcher } from './micro-batcher.js';
export type { MicroBatcherOptions, MicroBatcherStats } from './micro-batcher.js';
export { batchTimers } from './batch-timers.js';
