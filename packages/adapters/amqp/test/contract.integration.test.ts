import { randomId } from '@dissonance/core';
import { transportContract } from '@dissonance/core/testing';
import { AmqpTransport } from '../src/index.js';
import { BROKER_URL, purgePrefix } from './broker.js';

transportContract('amqp (RabbitMQ)', async () => {
  const prefix = `dtest-${randomId()}`;
  const transport = await AmqpTransport.connect({ url: BROKER_URL, prefix });
  return { transport, cleanup: () => purgePrefix(prefix) };
});
