/**
 * `@dissonance/core/testing`: the contract suites every adapter runs against its real server, and test aids.
 * Needs vitest (an optional peer dependency of core).
 */
export { ManualClock } from '../clock/manual-clock.js';
export { expectCode } from './expect-code.js';
export { rejectionOf } from './rejection-of.js';
export { registryContract, type RegistryFixture } from './registry-contract.js';
export { storeContract, type StoreFixture } from './store-contract.js';
export { transportContract, type TransportContractOptions, type TransportFixture } from './transport-contract.js';
export type { InvalidTransportOptions } from './transport-option-cases.js';
export { dedupStoreContract, type DedupStoreFixture } from './dedup-store-contract.js';
export { deferred, sleep, waitFor, type Deferred } from './wait.js';
