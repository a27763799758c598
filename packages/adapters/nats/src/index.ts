/**
 * @dissonance/adapter-nats: the dissonance {@link Transport} over NATS JetStream — a stream per topic, a durable
 * pull consumer per group, nak with delay for retries, and a dead-letter topic.
 */
export { createNatsTransport } from './nats-transport.js';
export type { NatsTransportOptions } from './options.js';
