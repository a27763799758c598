import { transportContract } from '@dissonance/core/testing';
import { RedisTransport } from '../src/index.js';
import { REDIS_URL, adminClient, deletePrefix, uniquePrefix } from './redis-env.js';

transportContract('redis streams', async () => {
  const prefix = uniquePrefix();
  const transport = new RedisTransport({ url: REDIS_URL, prefix });
  await transport.ping();
  return {
    transport,
    cleanup: async () => {
      const admin = adminClient();
      await deletePrefix(admin, prefix);
      await admin.quit();
    },
  };
});
