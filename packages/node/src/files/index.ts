/**
 * The file-backed registry and store of `@dissonance/node`, and the durable-write helper they share.
 * @packageDocumentation
 */
export { FileRegistry, type FileRegistryOptions } from './file-registry.js';
export { FileStore, type FileStoreOptions } from './file-store.js';
export { writeFileAtomic, syncDirectory } from './atomic-write.js';
