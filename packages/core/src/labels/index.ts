export { oracleLabels, type OracleCallback, type OracleOptions, type OracleLabelSource } from './oracle.js';
export { agreementPseudoLabels, type AgreementOptions } from './agreement.js';
export { criticTrustLabels, type CriticTrustOptions } from './critic-trust.js';
export { chainLabels } from './chain.js';
