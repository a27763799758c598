/**
 * `@dissonance/adapter-redis`: the dissonance {@link Transport} on Redis Streams — consumer groups, prefetch
 * backpressure, durable delayed retries, `XAUTOCLAIM` recovery of dead consumers' entries and a dead-letter
 * stream.
 */
export { createRedisTransport } from './redis-transport.js';
export type { RedisTransportOptions } from './options.js';
