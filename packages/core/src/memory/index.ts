/** The embedded, in-memory implementations of the registry, store and transport ports. */
export { MemoryRegistry, type MemoryRegistryOptions } from './memory-registry.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { MemoryTransport, createMemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
export { checkRegisterInput, REGISTRY_NAME } from './register-input.js';
