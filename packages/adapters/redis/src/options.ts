import { DissonanceError, type SubscribeOptions } from '@dissonance/core';
import {
  resolveSubscribeOptions,
  resolveWireFormat,
  type ResolvedSubscribeOptions,
  type WireFormat,
} from '@dissonance/core/adapter-kit';

/** Options of `createRedisTransport`. */
export interface RedisTransportOptions {
  /** Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS). Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Prefix of every key this transport touches: a topic's stream is `<prefix>:<topic>`. Default `dissonance`. */
  readonly prefix?: string;
  /**
   * How long, in milliseconds, a delivered entry may stay unacknowledged before another consumer of the group
   * claims it with `XAUTOCLAIM` (its consumer is presumed dead). Live consumers keep their in-flight entries
   * fresh, so only entries of dead consumers reach it. Default 30000.
   */
  readonly claimIdleMs?: number;
  /** `BLOCK` of each `XREADGROUP`, in milliseconds: the longest a read waits before the loop runs again. Default 1000. */
  readonly blockMs?: number;
  /** When set, `XADD … MAXLEN ~ <maxLen>` trims topic streams approximately on publish. Default: no trimming. */
  readonly maxLen?: number;
  /**
   * Frames this transport writes (publish, retries, dead letters): `2` (default) the batch frame for batch
   * payloads, `1` format 1 only — which readers before format 2 also read. Set `1` on every process during a
   * rolling upgrade from such a release; switch to `2` once all run this one.
   */
  readonly wireFormat?: WireFormat;
}

/** {@link RedisTransportOptions} with defaults applied. */
export interface ResolvedOptions {
  readonly url: string;
  readonly prefix: string;
  readonly claimIdleMs: number;
  readonly blockMs: number;
  readonly maxLen: number | undefined;
  readonly wireFormat: WireFormat;
}

/** Settings of one subscriber, defaults applied. */
export type SubscriberSettings = ResolvedSubscribeOptions;

/** Checks the transport options and applies defaults; throws `E_INPUT` on a bad value. */
export function resolveOptions(options: RedisTransportOptions): ResolvedOptions {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) throw invalid('options', 'must be an object');
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const prefix = options.prefix ?? 'dissonance';
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const blockMs = options.blockMs ?? 1000;
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
    throw invalid('url', 'must be a redis:// or rediss:// URL');
  checkName(prefix, 'prefix');
  checkPositiveInteger(claimIdleMs, 'claimIdleMs');
  checkPositiveInteger(blockMs, 'blockMs');
  if (options.maxLen !== undefined) checkPositiveInteger(options.maxLen, 'maxLen');
  return {
    url,
    prefix,
    claimIdleMs,
    blockMs,
    maxLen: options.maxLen,
    wireFormat: resolveWireFormat(options.wireFormat),
  };
}

/** Checks the options of one `subscribe` call and applies the port's defaults (core's rules); throws `E_INPUT`. */
export function resolveSubscriber(topic: string, options: SubscribeOptions): SubscriberSettings {
  return resolveSubscribeOptions(topic, options, { checkName });
}

/** Throws `E_INPUT` unless `name` is a non-empty string of at most 255 characters. */
export function checkName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw invalid(field, 'must be a non-empty string of at most 255 characters');
  }
}

function checkPositiveInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(field, `must be a positive integer, got ${String(value)}`);
  }
}

function invalid(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${field} ${problem}`, { details: { field } });
}
