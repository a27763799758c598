import { messagingSpansSuite } from '../../../../test/support/messaging-spans-suite.js';
import { createRedisTransport } from '../src/index.js';
import { adminClient, deletePrefix, REDIS_URL, uniquePrefix } from './redis-env.js';

messagingSpansSuite({
  title: 'Redis Streams messaging spans (real Redis)',
  system: 'redis',
  open: (prefix) => createRedisTransport({ url: REDIS_URL, prefix }),
  uniquePrefix,
  cleanUp: async (prefix) => {
    const admin = adminClient();
    await deletePrefix(admin, prefix);
    await admin.quit();
  },
});
