export { validateBatch, validateBatchShape, checkFiniteFeatures, type BatchLimits } from './validate-input.js';
export { validateOutputGate, type ValidateOutputOptions } from './validate-gate.js';
export { goldenGuard, goldenFingerprints } from './golden-guard.js';
export { quarantineGate } from './quarantine-gate.js';
export { finiteOutputGate } from './finite-gate.js';
export { screenExamples, finiteExamplesTrainer, type NonFiniteExample } from './finite-examples.js';
export { TokenBucket } from './token-bucket.js';
export { budgetGate, type BudgetGate } from './budget-gate.js';
export { runGates, type GateChainResult } from './gate-chain.js';
export { PASS } from './pass.js';
export {
  PoisoningGuard,
  type PoisoningGuardOptions,
  type FeedbackVerdict,
  type FeedbackOutputs,
} from './poisoning-guard.js';
