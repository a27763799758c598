/**
 * `@dissonance/adapter-s3`: a {@link ModelRegistry} in any S3-compatible bucket — versions claimed with
 * conditional writes, aliases moved with compare-and-set, artifacts verified by sha256.
 */
export { S3Registry } from './s3-registry.js';
export type { S3RegistryOptions } from './options.js';
export { S3ObjectStore } from './s3-object-store.js';
export type { S3ObjectStoreOptions } from './s3-object-store.js';
