import { DissonanceError, type SubscribeOptions } from '@dissonance/core';
import {
  resolveSubscribeOptions as resolvePortOptions,
  resolveWireFormat,
  type ResolvedSubscribeOptions,
  type WireFormat,
} from '@dissonance/core/adapter-kit';
import type { NatsConnection } from '@nats-io/transport-node';
import { checkName, encodeName } from './names.js';

/** Options of `createNatsTransport`. */
export interface NatsTransportOptions {
  /** Server URL(s) to connect to (default `127.0.0.1:4222`); ignored when a connection is passed in. */
  readonly servers?: string | readonly string[];
  /**
   * A connection you already have, to share: the transport uses it instead of connecting, and its `close()`
   * leaves it open unless `closeConnection` is set.
   */
  readonly connection?: NatsConnection;
  /** Subject prefix: a topic `t` is published on `<prefix>.t` (default `dissonance`). */
  readonly prefix?: string;
  /** Prefix of stream names: topic `t` lives in stream `<streamPrefix>_t` (default: the prefix, dots encoded). */
  readonly streamPrefix?: string;
  /** How long `publish` keeps retrying (across reconnects) before rejecting, in ms (default 10 000). */
  readonly publishTimeoutMs?: number;
  /** Server-side ack wait of the consumers in ms (default 30 000); in-flight handlers extend it while they run. */
  readonly ackWaitMs?: number;
  /** Whether `close()` also drains and closes the connection (default: true when the transport connected, false for a passed-in `connection`). */
  readonly closeConnection?: boolean;
  /**
   * Frames this transport publishes (messages and dead letters; a retry is the server's redelivery of the
   * original): `2` (default) the batch frame for batch payloads, `1` format 1 only — which readers before
   * format 2 also read. Set `1` on every process during a rolling upgrade from such a release; switch to `2`
   * once all run this one.
   */
  readonly wireFormat?: WireFormat;
}

/** Options after defaults and checks. */
export interface ResolvedOptions {
  readonly servers: string | string[];
  readonly prefix: string;
  readonly streamPrefix: string;
  readonly publishTimeoutMs: number;
  readonly ackWaitMs: number;
  readonly closeConnection: boolean;
  readonly wireFormat: WireFormat;
}

/** Per-subscription settings after defaults and checks. */
export type SubscriberSettings = ResolvedSubscribeOptions;

/** Applies defaults to `options` and checks them; throws `E_INPUT` on a bad value. */
export function resolveOptions(options: NatsTransportOptions): ResolvedOptions {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) throw invalid('options', 'must be an object');
  const servers = options.servers ?? '127.0.0.1:4222';
  const list = typeof servers === 'string' ? [servers] : [...servers];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw invalid('servers', 'must be a non-empty string or list of strings');
  }
  const prefix = checkName(options.prefix ?? 'dissonance', 'prefix');
  const streamPrefix = options.streamPrefix ?? encodeName(prefix);
  if (typeof streamPrefix !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(streamPrefix)) {
    throw invalid('streamPrefix', `must be 1 to 64 letters, digits, '_' or '-', got ${String(streamPrefix)}`);
  }
  return {
    servers: typeof servers === 'string' ? servers : list,
    prefix,
    streamPrefix,
    publishTimeoutMs: positive(options.publishTimeoutMs ?? 10_000, 'publishTimeoutMs'),
    ackWaitMs: positive(options.ackWaitMs ?? 30_000, 'ackWaitMs', 1000),
    closeConnection: options.closeConnection === true,
    wireFormat: resolveWireFormat(options.wireFormat),
  };
}

/** Applies defaults to subscribe options and checks them (core's rules, NATS names); throws `E_INPUT` on a bad value. */
export function resolveSubscribeOptions(topic: string, options: SubscribeOptions): SubscriberSettings {
  return resolvePortOptions(topic, options, { checkName });
}

function positive(value: number, field: string, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw invalid(field, `must be an integer of at least ${min}, got ${value}`);
  return value;
}

function invalid(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${field} ${problem}`, { details: { field } });
}
