import { transportContract } from '@dissonance/core/testing';
import { createRedisTransport, type RedisTransportOptions } from '../src/index.js';
import { REDIS_URL, adminClient, deletePrefix, uniquePrefix } from './redis-env.js';

transportContract(
  'redis streams',
  async () => {
    const prefix = uniquePrefix();
    const transport = await createRedisTransport({ url: REDIS_URL, prefix });
    await transport.ping();
    const admin = adminClient();
    return {
      transport,
      publishRaw: async (topic, body) =>
        void (await admin.xadd(`${prefix}:${topic}`, '*', 'envelope', Buffer.from(body))),
      cleanup: async () => {
        await deletePrefix(admin, prefix);
        await admin.quit();
      },
    };
  },
  {
    invalidOptions: {
      create: (options) => createRedisTransport(options as RedisTransportOptions),
      cases: [
        { options: { url: 'http://x' }, field: 'url' },
        { options: { prefix: '' }, field: 'prefix' },
        { options: { claimIdleMs: 0 }, field: 'claimIdleMs' },
        { options: { blockMs: 0 }, field: 'blockMs' },
        { options: { maxLen: 1.5 }, field: 'maxLen' },
        { options: { wireFormat: 3 }, field: 'wireFormat' },
      ],
    },
  },
);
