import { MemoryRegistry } from '../../src/memory/memory-registry.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { MemoryDedupStore } from '../../src/memory/memory-dedup-store.js';
import { createMemoryTransport } from '../../src/memory/memory-transport.js';
import { dedupStoreContract, registryContract, storeContract, transportContract } from '../../src/testing/index.js';

registryContract('memory', () => {
  const registry = new MemoryRegistry();
  return Promise.resolve({
    registry,
    tamper: (name: string, version: string) => Promise.resolve(registry.tamperForTesting(name, version)),
  });
});

storeContract('memory', ({ capacity }) => Promise.resolve({ store: new MemoryStore({ capacity }) }));

transportContract('memory', async () => ({ transport: await createMemoryTransport() }), {
  quietMs: 100,
  invalidOptions: {
    create: (options) => createMemoryTransport(options as { clock?: ManualClock }),
    cases: [{ options: { clock: 'system' }, field: 'clock' }],
  },
});

dedupStoreContract('memory', () => {
  const clock = new ManualClock(1_000_000);
  return Promise.resolve({ store: new MemoryDedupStore({ clock }), advance: (ms: number) => clock.advance(ms) });
});
