import { DissonanceError } from '@dissonance/core';

/** Dot-separated tokens of letters, digits, `_` and `-`: a literal NATS subject (no wildcards). */
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Longest topic or group name accepted. */
export const MAX_NAME_LENGTH = 200;
/** Longest stream or consumer name: they name directories on the server. */
const MAX_SERVER_NAME_LENGTH = 255;

/**
 * Checks a topic, group or prefix name: dot-separated tokens of `[A-Za-z0-9_-]`, at most
 * {@link MAX_NAME_LENGTH} characters. Throws `E_INPUT` naming `field` otherwise.
 */
export function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || !SUBJECT.test(name)) {
    throw new DissonanceError(
      'E_INPUT',
      `${field} must be dot-separated tokens of letters, digits, '_' and '-' (at most ${MAX_NAME_LENGTH} characters), got ${describe(name)}`,
      { details: { field } },
    );
  }
  return name;
}

/**
 * Encodes a checked name into a NATS stream or consumer name token, which may not contain `.`:
 * `_` becomes `__` and `.` becomes `_d`, so distinct names never collide.
 */
export function encodeName(name: string): string {
  return name.replace(/[_.]/g, (c) => (c === '_' ? '__' : '_d'));
}

/** The subject a topic's messages are published on: `<prefix>.<topic>`. */
export function subjectOf(prefix: string, topic: string): string {
  return `${prefix}.${topic}`;
}

/** The stream holding a topic: `<streamPrefix>_<encoded topic>`. */
export function streamNameOf(streamPrefix: string, topic: string): string {
  return fits(`${streamPrefix}_${encodeName(topic)}`, 'topic');
}

/** The durable consumer of a group: its encoded name. */
export function durableNameOf(group: string): string {
  return fits(encodeName(group), 'group');
}

function fits(serverName: string, field: string): string {
  if (serverName.length > MAX_SERVER_NAME_LENGTH) {
    throw new DissonanceError(
      'E_INPUT',
      `${field} is too long: its NATS name would exceed ${MAX_SERVER_NAME_LENGTH} characters`,
      {
        details: { field },
      },
    );
  }
  return serverName;
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return value.length > 40 ? `'${value.slice(0, 40)}…' (${value.length} characters)` : `'${value}'`;
}
