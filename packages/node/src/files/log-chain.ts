import { createHash } from 'node:crypto';

/**
 * The hash chain of an append-only log. Each record written since the chain was introduced is framed as
 * `#1 <seq> <tag> <payload>`: `seq` counts the chained records of the file from 0, and
 * `tag = sha256(previous tag, seq, payload)` (first 16 bytes, hex). The first record's previous tag is the
 * file's seed: `sha256(label, file name, every byte before the first chained record)`, so a log written by a
 * release without the chain is covered from its first chained record on, and records cannot move between
 * files. The frame is inside the record codec: in an encrypted log it is sealed with the payload, which makes
 * the tag a MAC chain nobody without the key can extend or rewrite.
 */
export const CHAIN_PREFIX = '#1 ';

/** A chained record taken apart (not yet checked). */
export interface ChainFrame {
  readonly seq: number;
  readonly tag: string;
  readonly payload: string;
}

const FRAME = /^#1 (0|[1-9][0-9]{0,15}) ([0-9a-f]{32}) /;

/** The tag before the first chained record of the file named `name`, whose earlier bytes are `prefix`. */
export function seedTag(name: string, prefix: Uint8Array): string {
  return createHash('sha256').update(`dissonance-log-chain-v1\n${name}\n`).update(prefix).digest('hex').slice(0, 32);
}

/** The tag of record `seq` holding `payload`, chained to `previous`. */
export function nextTag(previous: string, seq: number, payload: string): string {
  return createHash('sha256').update(`${previous}\n${seq}\n`).update(payload).digest('hex').slice(0, 32);
}

/** The framed text of record `seq` (before the codec): `#1 <seq> <tag> <payload>`. */
export function frameRecord(seq: number, tag: string, payload: string): string {
  return `${CHAIN_PREFIX}${seq} ${tag} ${payload}`;
}

/**
 * The parts of a framed record; `undefined` for a record written without the chain (it does not start with
 * {@link CHAIN_PREFIX}); throws when it starts like a frame but the frame is malformed.
 */
export function unframeRecord(text: string): ChainFrame | undefined {
  if (!text.startsWith(CHAIN_PREFIX)) return undefined;
  const match = FRAME.exec(text);
  if (match === null) throw new Error('malformed chain frame');
  return { seq: Number(match[1]), tag: match[2] ?? '', payload: text.slice(match[0].length) };
}
