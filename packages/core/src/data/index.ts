/** Data helpers for experiments: CSV datasets, a standard scaler, a seeded golden / seed-set / stream split. */
export { parseCsvDataset, type Dataset, type ParseCsvOptions } from './csv-dataset.js';
export { fitStandardScaler, type StandardScaler } from './standard-scaler.js';
export { seededSplit, type LoopSplit, type SplitOptions } from './seeded-split.js';
