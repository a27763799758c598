import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DissonanceError } from '@dissonance/core';
import { writeFileAtomic } from './atomic-write.js';
import type { RecordCodec } from './record-codec.js';

/**
 * A point of a log's chain: the log held `seq` chained records, the last with tag `tag` (with `seq` 0, `tag`
 * is the file's seed).
 */
export interface ChainPoint {
  readonly seq: number;
  readonly tag: string;
}

/**
 * The head file `<log>.head` anchors the end of a log's chain outside the log, so that cutting whole records
 * off the end is seen: the log must still reach one of the `accept` points. It is replaced atomically when the
 * log is opened, compacted and closed (during a compaction it accepts the old file and the new one), and
 * written through the log's codec (sealed when the log is encrypted).
 */
export function headPath(logPath: string): string {
  return `${logPath}.head`;
}

/** Writes the head file of the log at `logPath`, accepting any of `points`. */
export async function writeHead(logPath: string, codec: RecordCodec, points: readonly ChainPoint[]): Promise<void> {
  const text = JSON.stringify({ log: basename(logPath), accept: points.map((p) => ({ seq: p.seq, tag: p.tag })) });
  await writeFileAtomic(headPath(logPath), `${await codec.encode(text)}\n`);
}

/**
 * The points the head file of the log at `logPath` accepts; `undefined` when there is no head file (a log
 * written by a release without the chain). A damaged head file is `E_STORE_INTEGRITY` naming it; one that
 * does not authenticate is `E_DECRYPT`.
 */
export async function readHead(logPath: string, codec: RecordCodec): Promise<ChainPoint[] | undefined> {
  const path = headPath(logPath);
  let stored: string;
  try {
    stored = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const text = await codec.decode(stored.trimEnd(), `head file ${path}`);
  try {
    const value = JSON.parse(text) as { log?: unknown; accept?: unknown } | null;
    if (value?.log !== basename(logPath)) throw new Error(`it names another log (${JSON.stringify(value?.log)})`);
    if (!Array.isArray(value.accept) || value.accept.length === 0) throw new Error('no accepted point');
    return value.accept.map((point: unknown) => {
      const { seq, tag } = (point ?? {}) as { seq?: unknown; tag?: unknown };
      if (!Number.isSafeInteger(seq) || (seq as number) < 0 || typeof tag !== 'string' || !/^[0-9a-f]{32}$/.test(tag)) {
        throw new Error('malformed point');
      }
      return { seq: seq as number, tag };
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DissonanceError('E_STORE_INTEGRITY', `head file ${path} is damaged: ${reason}`, {
      cause: error,
      details: { path, reason },
    });
  }
}
