import { MemoryRegistry } from '../../src/memory/memory-registry.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { MemoryTransport } from '../../src/memory/memory-transport.js';
import { registryContract, storeContract, transportContract } from '../../src/testing/index.js';

registryContract('memory', () => {
  const registry = new MemoryRegistry();
  return Promise.resolve({
    registry,
    tamper: (name: string, version: string) => Promise.resolve(registry.tamperForTesting(name, version)),
  });
});

storeContract('memory', ({ capacity }) => Promise.resolve({ store: new MemoryStore({ capacity }) }));

transportContract('memory', () => Promise.resolve({ transport: new MemoryTransport() }), { quietMs: 100 });
