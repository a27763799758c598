import { open, readFile, type FileHandle } from 'node:fs/promises';
import { isDissonanceError } from '@dissonance/core';
import { dirname } from 'node:path';
import { syncDirectory, writeFileAtomic } from './atomic-write.js';

/** What {@link AppendLog.open} found in the file. */
export interface LogContents<T> {
  /** The records of every complete, valid line, in order. */
  readonly records: T[];
  /** Bytes of a torn tail (an incomplete or invalid last write) that were cut off; 0 when there was none. */
  readonly droppedBytes: number;
}

/** Thrown by {@link AppendLog.open} when a line that is not at the tail cannot be read: damage, not a crash. */
export class LogCorruptError extends Error {
  /** 1-based number of the bad line. */
  readonly line: number;

  constructor(path: string, line: number, reason: string) {
    super(`${path} line ${line} is corrupt (${reason}) and valid records follow it`);
    this.name = 'LogCorruptError';
    this.line = line;
  }
}

const NEWLINE = 0x0a;

/**
 * An append-only file of newline-terminated records (one JSON document per line), fsync'd on every append.
 * `append(lines)` is one `write` of all the lines plus one `fsync`, and it resolves only once the data is on
 * disk. On open, a torn tail — the last line incomplete, or it and everything after it unparsable — is what a
 * crash during an append leaves behind: it is cut off (the append was never acknowledged). An unparsable line
 * with valid lines after it is damage and fails the open. A failed append truncates the file back to where it
 * was; if even that fails, or an fsync fails, the log refuses further appends until it is opened again.
 */
export class AppendLog {
  /** Path of the log file. */
  readonly path: string;
  #handle: FileHandle;
  #size: number;
  #broken: Error | undefined;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  /**
   * Opens (creating it when absent) the log at `path`, reads every record through `parse` (which throws on
   * an invalid line, or rejects) and cuts off a torn tail. Throws {@link LogCorruptError} on damage before the
   * tail. A complete line that `parse` refuses with `E_DECRYPT` (an encrypted record that does not
   * authenticate) is never taken for a torn tail: the open fails with that error and nothing is cut off.
   */
  static async open<T>(path: string, parse: (line: string) => T | Promise<T>): Promise<{ log: AppendLog; contents: LogContents<T> }> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      data = Buffer.alloc(0);
    }
    const { records, validBytes } = await readRecords(path, data, parse);
    const handle = await open(path, 'a');
    try {
      if (validBytes < data.length) {
        await handle.truncate(validBytes);
        await handle.sync();
      }
      if (data.length === 0) await syncDirectory(dirname(path));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { log: new AppendLog(path, handle, validBytes), contents: { records, droppedBytes: data.length - validBytes } };
  }

  /** Appends `lines` (each without a newline) in one write and fsyncs; resolves once they are durable. */
  async append(lines: readonly string[]): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    if (lines.length === 0) return;
    const data = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    try {
      for (let offset = 0; offset < data.length; ) {
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
  }

  /**
   * Replaces the whole log with `lines`, atomically (a crash leaves the old log or the new one), and carries on
   * appending to the new file. Throws when the replacement failed; the log then still holds its old records.
   */
  async replace(lines: readonly string[]): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    let failure: unknown;
    try {
      await writeFileAtomic(this.path, text);
    } catch (error) {
      failure = error;
    }
    // Whether or not the rename happened, append to whatever file is at the path now.
    try {
      await this.#handle.close();
      this.#handle = await open(this.path, 'a');
      this.#size = (await this.#handle.stat()).size;
    } catch (error) {
      this.#broken = new Error(`${this.path}: could not reopen after compaction`, { cause: error });
      throw this.#broken;
    }
    if (failure !== undefined) throw failure;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    this.#broken ??= new Error(`${this.path} is closed`);
    await this.#handle.close();
  }
}

/** The records of `data`'s valid lines and where they end; throws {@link LogCorruptError} on mid-file damage. */
async function readRecords<T>(
  path: string,
  data: Buffer,
  parse: (line: string) => T | Promise<T>,
): Promise<{ records: T[]; validBytes: number }> {
  const records: T[] = [];
  let start = 0;
  let line = 0;
  while (start < data.length) {
    line++;
    const end = data.indexOf(NEWLINE, start);
    if (end === -1) break; // incomplete last line: torn
    try {
      records.push(await parse(data.toString('utf8', start, end)));
    } catch (error) {
      if (isDissonanceError(error, 'E_DECRYPT')) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      if (await validLineAfter(data, end + 1, parse)) throw new LogCorruptError(path, line, reason);
      break; // it and everything after it is the torn tail
    }
    start = end + 1;
  }
  return { records, validBytes: start };
}

async function validLineAfter<T>(data: Buffer, from: number, parse: (line: string) => T | Promise<T>): Promise<boolean> {
  for (let start = from; start < data.length; ) {
    const end = data.indexOf(NEWLINE, start);
    if (end === -1) return false;
    try {
      await parse(data.toString('utf8', start, end));
      return true;
    } catch (error) {
      if (isDissonanceError(error, 'E_DECRYPT')) throw error;
      start = end + 1;
    }
  }
  return false;
}
