import { DissonanceError } from '@dissonance/core';
import { resolveWireFormat, type WireFormat } from '@dissonance/core/adapter-kit';

/** Reconnect behaviour of an {@link AmqpTransport} after the connection drops. */
export interface AmqpReconnectOptions {
  /** First backoff delay in milliseconds (default 100); each further try doubles it, with jitter. */
  readonly initialDelayMs?: number;
  /** Largest backoff delay in milliseconds (default 5000). */
  readonly maxDelayMs?: number;
  /** How long `publish` (and a nack's republish) waits for a connection before `E_TRANSPORT` (default 15000). */
  readonly publishTimeoutMs?: number;
}

/** Options of {@link AmqpTransport.connect}. */
export interface AmqpTransportOptions {
  /** Broker URL (default `amqp://guest:guest@127.0.0.1:5672`). */
  readonly url?: string;
  /** First segment of every exchange and queue name (default `dissonance`). */
  readonly prefix?: string;
  /** How long the first connection may take, retries included, in milliseconds (default 10000). */
  readonly connectTimeoutMs?: number;
  /** Reconnect settings, or `false` to fail for good when the connection drops. */
  readonly reconnect?: AmqpReconnectOptions | false;
  /**
   * Frames this transport writes (publish, retries, dead letters): `2` (default) the batch frame for batch
   * payloads, `1` format 1 only — which readers before format 2 also read. Set `1` on every process during a
   * rolling upgrade from such a release; switch to `2` once all run this one.
   */
  readonly wireFormat?: WireFormat;
}

/** {@link AmqpTransportOptions} with defaults applied and checked. */
export interface ResolvedAmqpOptions {
  readonly url: string;
  readonly prefix: string;
  readonly connectTimeoutMs: number;
  readonly reconnect: boolean;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly publishTimeoutMs: number;
  readonly wireFormat: WireFormat;
}

/** Default broker URL. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Applies defaults; throws `E_INPUT` naming the first bad option. */
export function resolveAmqpOptions(options: AmqpTransportOptions = {}): ResolvedAmqpOptions {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) throw invalid('options', 'must be an object');
  const url = options.url ?? DEFAULT_AMQP_URL;
  if (typeof url !== 'string' || !/^amqps?:\/\//.test(url)) throw invalid('url', 'must be an amqp:// or amqps:// URL');
  const prefix = options.prefix ?? 'dissonance';
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 100) {
    throw invalid('prefix', 'must be a non-empty string of at most 100 characters');
  }
  const reconnect = options.reconnect ?? {};
  const settings = reconnect === false ? {} : reconnect;
  const resolved: ResolvedAmqpOptions = {
    url,
    prefix,
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 10_000),
    reconnect: reconnect !== false,
    initialDelayMs: positive('reconnect.initialDelayMs', settings.initialDelayMs ?? 100),
    maxDelayMs: positive('reconnect.maxDelayMs', settings.maxDelayMs ?? 5000),
    publishTimeoutMs: positive('reconnect.publishTimeoutMs', settings.publishTimeoutMs ?? 15_000),
    wireFormat: resolveWireFormat(options.wireFormat),
  };
  return resolved;
}

function positive(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(field, `must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** An `E_INPUT` error about `field`. */
export function invalid(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${field} ${problem}`, { details: { field } });
}
