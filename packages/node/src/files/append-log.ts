import { open, readFile, type FileHandle } from 'node:fs/promises';
import { DissonanceError } from '@dissonance/core';
import { basename, dirname } from 'node:path';
import { syncDirectory, writeFileAtomic } from './atomic-write.js';
import { frameRecord, nextTag, seedTag, unframeRecord } from './log-chain.js';
import { headPath, readHead, writeHead, type ChainPoint } from './log-head.js';
import type { RecordCodec } from './record-codec.js';

/** What {@link AppendLog.open} found in the file. */
export interface LogContents<T> {
  /** The records of every complete, valid line, in order. */
  readonly records: T[];
  /** Bytes of a torn tail (an incomplete last write) that were cut off; 0 when there was none. */
  readonly droppedBytes: number;
}

/** How {@link AppendLog.open} reads and writes records. */
export interface AppendLogFormat<T> {
  /** Turns a record's text into what is stored and back (encryption at rest, or none). */
  readonly codec: RecordCodec;
  /** Parses one record's payload; throws (any error) when it is not a valid record. */
  readonly parse: (payload: string) => T;
}

const NEWLINE = 0x0a;

/** Appends are anchored in the head file within this many milliseconds, by one background write. */
export const ANCHOR_EVERY_MS = 1000;

/**
 * An append-only, tamper-evident file of newline-terminated records, fsync'd on every append.
 * `append(payloads)` is one `write` of all the lines plus one `fsync`, and it resolves only once the data is
 * on disk. Every record is framed into a hash chain ({@link frameRecord}) before the codec, and the end of
 * the chain is anchored in a head file (`<log>.head`, {@link writeHead}) when the log is opened, compacted
 * and closed, and in the background within {@link ANCHOR_EVERY_MS} of an append (one head write per that
 * period at most, off the append's path).
 *
 * On open, every record is checked: it must decode, parse and chain to its predecessor, and the log must
 * still reach a point its head file accepts. The first record that fails is `E_STORE_INTEGRITY` naming the
 * file, the record (1-based line) and its byte offset (`E_DECRYPT` when an encrypted record does not
 * authenticate); nothing is cut off. The one thing dropped is what a crash during an append leaves: a last
 * line without its newline, or one holding NUL bytes (a block lost in a power cut); that append was never
 * acknowledged. A failed append truncates the file back to where it was; if even that fails, or an fsync
 * fails, the log refuses further appends until it is opened again.
 *
 * Lines written by a release without the chain (unframed) are read as before while no chained record
 * precedes them; the chain's seed covers their bytes, so they are protected from the first new record on.
 */
export class AppendLog {
  /** Path of the log file. */
  readonly path: string;
  readonly #codec: RecordCodec;
  #handle: FileHandle;
  #size: number;
  #broken: Error | undefined;
  /** The end of the chain: records chained so far and the last tag. */
  #point: ChainPoint;
  /** Head writes and compactions, one at a time, in order. */
  #heads: Promise<unknown> = Promise.resolve();
  /** The pending background anchor, if any. */
  #anchorTimer: NodeJS.Timeout | undefined;
  #anchoredAt = Date.now();

  private constructor(path: string, codec: RecordCodec, handle: FileHandle, size: number, point: ChainPoint) {
    this.path = path;
    this.#codec = codec;
    this.#handle = handle;
    this.#size = size;
    this.#point = point;
  }

  /**
   * Opens (creating it when absent) the log at `path`, checks and reads every record, cuts off a torn tail
   * and anchors the head file. Throws `E_STORE_INTEGRITY` (or `E_DECRYPT`) naming the first bad record.
   */
  static async open<T>(
    path: string,
    format: AppendLogFormat<T>,
  ): Promise<{ log: AppendLog; contents: LogContents<T> }> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      data = Buffer.alloc(0);
    }
    const head = await readHead(path, format.codec);
    const { records, validBytes, point } = await readRecords(path, data, format, head);
    const handle = await open(path, 'a');
    try {
      if (validBytes < data.length) {
        await handle.truncate(validBytes);
        await handle.sync();
      }
      if (data.length === 0) await syncDirectory(dirname(path));
      await writeHead(path, format.codec, [point]);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const log = new AppendLog(path, format.codec, handle, validBytes, point);
    return { log, contents: { records, droppedBytes: data.length - validBytes } };
  }

  /** Appends `payloads` (each one record, without a newline) in one write and fsyncs; resolves once durable. */
  async append(payloads: readonly string[]): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    if (payloads.length === 0) return;
    const { lines, point } = await this.#chain(this.#point, payloads);
    if (this.#broken !== undefined) throw this.#broken;
    const data = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    try {
      for (let offset = 0; offset < data.length;) {
        const { bytesWritten } = await this.#handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      await this.#handle.truncate(this.#size).catch((truncateError: unknown) => {
        this.#broken = new Error(`${this.path}: a failed append could not be undone`, { cause: truncateError });
      });
      throw error;
    }
    try {
      await this.#handle.sync();
    } catch (error) {
      // After a failed fsync the kernel may have dropped the pages: nothing written since can be trusted.
      this.#broken = new Error(`${this.path}: fsync failed; reopen the log`, { cause: error });
      throw error;
    }
    this.#size += data.length;
    this.#point = point;
    this.#scheduleAnchor();
  }

  /** Anchors the (durable) end of the chain in the head file soon, unless that is already scheduled. */
  #scheduleAnchor(): void {
    if (this.#anchorTimer !== undefined) return;
    const delay = Math.max(0, this.#anchoredAt + ANCHOR_EVERY_MS - Date.now());
    this.#anchorTimer = setTimeout(() => {
      void this.#exclusive(async () => {
        this.#anchorTimer = undefined;
        if (this.#broken !== undefined) return;
        this.#anchoredAt = Date.now();
        await writeHead(this.path, this.#codec, [this.#point]);
      }).catch(() => undefined); // the next anchor, or the close, writes it again
    }, delay);
    this.#anchorTimer.unref();
  }

  /** Runs `work` after every head write and compaction before it. */
  #exclusive<R>(work: () => Promise<R>): Promise<R> {
    const result = this.#heads.then(work);
    this.#heads = result.catch(() => undefined);
    return result;
  }

  /**
   * Replaces the whole log with `payloads`, atomically (a crash leaves the old log or the new one, and the
   * head file accepts either), with a fresh chain, and carries on appending to the new file. Throws when the
   * replacement failed; the log then still holds its old records.
   */
  replace(payloads: readonly string[]): Promise<void> {
    return this.#exclusive(() => this.#replace(payloads));
  }

  async #replace(payloads: readonly string[]): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    const { lines, point } = await this.#chain(
      { seq: 0, tag: seedTag(basename(this.path), new Uint8Array(0)) },
      payloads,
    );
    const text = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8');
    await writeHead(this.path, this.#codec, [this.#point, point]); // nothing changed yet when this fails
    let failure: unknown;
    try {
      await writeFileAtomic(this.path, text);
    } catch (error) {
      failure = error;
    }
    // Whether or not the rename happened, append to whatever file is at the path now.
    let replaced = failure === undefined;
    try {
      if (!replaced) replaced = (await readFile(this.path)).equals(text);
      await this.#handle.close();
      this.#handle = await open(this.path, 'a');
      this.#size = (await this.#handle.stat()).size;
    } catch (error) {
      this.#broken = new Error(`${this.path}: could not reopen after compaction`, { cause: error });
      throw this.#broken;
    }
    if (replaced) {
      this.#point = point;
      await writeHead(this.path, this.#codec, [point]).catch(() => undefined); // accepting both is still right
    }
    if (failure !== undefined) throw failure;
  }

  /** Anchors the end of the chain in the head file and closes the file. */
  async close(): Promise<void> {
    clearTimeout(this.#anchorTimer);
    this.#anchorTimer = undefined;
    await this.#exclusive(async () => {
      const wasBroken = this.#broken !== undefined;
      this.#broken ??= new Error(`${this.path} is closed`);
      try {
        if (!wasBroken) await writeHead(this.path, this.#codec, [this.#point]);
      } finally {
        await this.#handle.close();
      }
    });
  }

  /** Frames and encodes `payloads` as the records after `from`. */
  async #chain(from: ChainPoint, payloads: readonly string[]): Promise<{ lines: string[]; point: ChainPoint }> {
    let { seq, tag } = from;
    const lines: string[] = [];
    for (const payload of payloads) {
      tag = nextTag(tag, seq, payload);
      lines.push(await this.#codec.encode(frameRecord(seq, tag, payload)));
      seq++;
    }
    return { lines, point: { seq, tag } };
  }
}

/**
 * Reads and checks the records of `data`: where the valid lines end, and the end of the chain. Throws
 * `E_STORE_INTEGRITY` naming the first bad record.
 */
async function readRecords<T>(
  path: string,
  data: Buffer,
  format: AppendLogFormat<T>,
  head: ChainPoint[] | undefined,
): Promise<{ records: T[]; validBytes: number; point: ChainPoint }> {
  const name = basename(path);
  const records: T[] = [];
  /** Tags at the sequence numbers the head file names, as they are met. */
  const wanted = new Map<number, string | undefined>((head ?? []).map((p) => [p.seq, undefined]));
  let point: ChainPoint | undefined;
  let start = 0;
  let line = 0;
  const fail = (reason: string, at = start, record = line): never => {
    throw new DissonanceError('E_STORE_INTEGRITY', `${path} record ${record} (byte ${at}) ${reason}`, {
      details: { path, record, offset: at, reason },
    });
  };
  while (start < data.length) {
    const end = data.indexOf(NEWLINE, start);
    if (end === -1) break; // an incomplete last line: the torn tail of an unacknowledged append
    if (data.subarray(start, end).includes(0)) {
      if (end + 1 === data.length) break; // a block of the last append lost in a power cut
      fail('holds NUL bytes and records follow it', start, line + 1);
    }
    line++;
    const text = await format.codec.decode(data.toString('utf8', start, end), `${path} record ${line} (byte ${start})`);
    let frame;
    try {
      frame = unframeRecord(text);
    } catch (error) {
      fail(`is damaged: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (frame === undefined) {
      if (point !== undefined) fail('has no chain frame but follows chained records: it was inserted');
    } else {
      if (point === undefined) {
        point = { seq: 0, tag: seedTag(name, data.subarray(0, start)) };
        if (wanted.has(0)) wanted.set(0, point.tag);
      }
      if (frame.seq !== point.seq) {
        fail(
          `is chained record ${frame.seq} where record ${point.seq} belongs: records were deleted, duplicated or reordered`,
        );
      }
      if (frame.tag !== nextTag(point.tag, frame.seq, frame.payload)) {
        fail('does not chain to the record before it: it was altered, or records were reordered or replaced');
      }
      point = { seq: point.seq + 1, tag: frame.tag };
      if (wanted.has(point.seq)) wanted.set(point.seq, point.tag);
    }
    try {
      records.push(format.parse(frame === undefined ? text : frame.payload));
    } catch (error) {
      fail(`is not a valid record: ${error instanceof Error ? error.message : String(error)}`);
    }
    start = end + 1;
  }
  if (point === undefined) {
    point = { seq: 0, tag: seedTag(name, data.subarray(0, start)) };
    if (wanted.has(0)) wanted.set(0, point.tag);
  }
  checkHead(path, head, wanted, point, line, start);
  return { records, validBytes: start, point };
}

/** Fails unless the chain reaches a point the head file accepts (any chained log must have a head file). */
function checkHead(
  path: string,
  head: ChainPoint[] | undefined,
  tags: ReadonlyMap<number, string | undefined>,
  end: ChainPoint,
  lines: number,
  bytes: number,
): void {
  const fail = (reason: string): never => {
    throw new DissonanceError('E_STORE_INTEGRITY', `${path} record ${lines + 1} (byte ${bytes}) ${reason}`, {
      details: { path, record: lines + 1, offset: bytes, reason },
    });
  };
  if (head === undefined) {
    if (end.seq > 0) fail(`is where the log ends, but its head file ${headPath(path)} is missing`);
    return;
  }
  if (head.some((p) => tags.get(p.seq) === p.tag)) return;
  const reach = Math.min(...head.map((p) => p.seq));
  if (end.seq < reach) {
    fail(
      `is where the log ends after ${end.seq} chained records, but its head file says ${reach} were acknowledged: records were deleted from the end`,
    );
  }
  fail(`is where the log ends, and it does not pass through the point its head file anchors: the log was rewritten`);
}
