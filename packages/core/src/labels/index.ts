export { oracleLabels, type OracleCallback, type OracleOptions, type OracleLabelSource } from './oracle.js';
export { DEFAULT_ORACLE_PACE, type OraclePace } from './oracle-pace.js';
export type { ArmStats, LabelSavings } from './label-savings.js';
export { agreementPseudoLabels, type AgreementOptions } from './agreement.js';
export { criticTrustLabels, type CriticTrustOptions } from './critic-trust.js';
export { chainLabels } from './chain.js';
export { quarantineRouting, type QuarantineRouting } from './quarantine-route.js';
