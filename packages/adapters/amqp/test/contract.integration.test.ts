import { randomId } from '@dissonance/core';
import { transportContract } from '@dissonance/core/testing';
import { createAmqpTransport, type AmqpTransportOptions } from '../src/index.js';
import { BROKER_URL, publishRaw, purgePrefix } from './broker.js';

transportContract(
  'amqp (RabbitMQ)',
  async () => {
    const prefix = `dtest-${randomId()}`;
    const transport = await createAmqpTransport({ url: BROKER_URL, prefix });
    return {
      transport,
      cleanup: () => purgePrefix(prefix),
      publishRaw: (topic, body) => publishRaw(`${prefix}.${topic}`, Buffer.from(body)),
    };
  },
  {
    invalidOptions: {
      create: (options) => createAmqpTransport(options as AmqpTransportOptions),
      cases: [
        { options: { url: 'http://nope' }, field: 'url' },
        { options: { prefix: '' }, field: 'prefix' },
        { options: { connectTimeoutMs: 0 }, field: 'connectTimeoutMs' },
        { options: { reconnect: { initialDelayMs: -1 } }, field: 'reconnect.initialDelayMs' },
        { options: { reconnect: { publishTimeoutMs: Number.NaN } }, field: 'reconnect.publishTimeoutMs' },
        { options: { wireFormat: 3 }, field: 'wireFormat' },
      ],
    },
  },
);
