import { transportContract } from '@dissonance/core/testing';
import { createNatsTransport } from '../src/index.js';
import { natsFaultSuite } from './nats-fault-suite.js';
import { SERVERS, deleteStreams, uniquePrefix } from './nats-fixture.js';

// One file, so the fault suite's server restart never overlaps the contract tests (files run in parallel).
transportContract('nats', async () => {
  const prefix = uniquePrefix();
  const transport = await createNatsTransport({ servers: SERVERS, prefix });
  return { transport, cleanup: () => deleteStreams(prefix) };
});

natsFaultSuite();
