import type { SubscribeOptions } from '@dissonance/core';
import { resolveSubscribeOptions } from '@dissonance/core/adapter-kit';
import { invalid } from './options.js';

/** Longest AMQP exchange or queue name, in UTF-8 bytes. */
const MAX_NAME_BYTES = 255;
/** Room left for `.retry.<delayMs>` after a group queue name. */
const RETRY_SUFFIX_BYTES = 24;

/** Subscribe options with defaults applied, and the broker names they map to. */
export interface SubscriberSettings {
  readonly topic: string;
  readonly group: string;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly deadLetterTopic: string;
  /** Durable fanout exchange of the topic. */
  readonly exchange: string;
  /** Durable queue of the group, bound to {@link exchange}. */
  readonly queue: string;
}

/** The durable fanout exchange of `topic`: `<prefix>.<topic>`. */
export function exchangeName(prefix: string, topic: string): string {
  return checkName(`${prefix}.${topic}`);
}

/** The durable queue of `group` on `topic`: `<prefix>.<topic>.<group>`. */
export function queueName(prefix: string, topic: string, group: string): string {
  return checkName(`${prefix}.${topic}.${group}`, RETRY_SUFFIX_BYTES);
}

/** The TTL queue that holds a group's messages for `delayMs`, then dead-letters them back to the group queue. */
export function retryQueueName(groupQueue: string, delayMs: number): string {
  return `${groupQueue}.retry.${delayMs}`;
}

/** Checks a topic or group name; throws `E_INPUT` otherwise. */
export function checkTopic(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw invalid(field, 'must be a non-empty string of at most 200 characters');
  }
}

/** Applies the subscribe defaults and checks them (`E_INPUT`), with AMQP's name and prefetch limits. */
export function subscriberSettings(prefix: string, topic: string, options: SubscribeOptions): SubscriberSettings {
  checkTopic(topic, 'topic');
  const { group, prefetch, maxAttempts, deadLetterTopic } = resolveSubscribeOptions(topic, options, {
    checkName: checkTopic,
    maxPrefetch: 65_535,
  });
  exchangeName(prefix, deadLetterTopic);
  return {
    topic,
    group,
    prefetch,
    maxAttempts,
    deadLetterTopic,
    exchange: exchangeName(prefix, topic),
    queue: queueName(prefix, topic, group),
  };
}

function checkName(name: string, reserve = 0): string {
  if (Buffer.byteLength(name, 'utf8') + reserve > MAX_NAME_BYTES) {
    throw invalid(
      'topic',
      `gives the broker name "${name}", longer than AMQP allows (${MAX_NAME_BYTES - reserve} bytes)`,
    );
  }
  return name;
}
