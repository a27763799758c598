/** @dissonance/adapter-amqp: the RabbitMQ (AMQP 0-9-1) transport of dissonance. */
export { createAmqpTransport } from './amqp-transport.js';
export { DEFAULT_AMQP_URL } from './options.js';
export type { AmqpTransportOptions, AmqpReconnectOptions } from './options.js';
export { INVALID_MESSAGE_TYPE } from './codec.js';
