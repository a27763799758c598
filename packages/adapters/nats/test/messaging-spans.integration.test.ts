import { messagingSpansSuite } from '../../../../test/support/messaging-spans-suite.js';
import { createNatsTransport } from '../src/index.js';
import { deleteStreams, SERVERS, uniquePrefix } from './nats-fixture.js';

messagingSpansSuite({
  title: 'NATS messaging spans (real JetStream)',
  system: 'nats',
  open: (prefix) => createNatsTransport({ servers: SERVERS, prefix }),
  uniquePrefix,
  cleanUp: deleteStreams,
});
