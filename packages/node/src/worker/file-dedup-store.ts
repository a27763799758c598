import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DissonanceError, type DedupStore } from '@dissonance/core';
import { AppendLog } from '../files/append-log.js';
import { recordCodec } from '../files/record-codec.js';
import { sweepTempFiles } from '../files/temp-files.js';

/** Options of {@link FileDedupStore.open}. */
export interface FileDedupStoreOptions {
  /** Folder of the store's log (created when missing). */
  readonly dir: string;
  /** Clock for expiry; default `Date.now`. */
  readonly now?: () => number;
  /** Rewrite the log without expired ids once it holds this many lines; default 100 000. */
  readonly compactAfter?: number;
}

/** One mark as stored: `<id>\t<until>`. */
interface Mark {
  readonly id: string;
  readonly until: number;
}

/** Parses one record of `dedup.log`; throws when it is not a mark. */
function parseMark(payload: string): Mark {
  const tab = payload.lastIndexOf('\t');
  const until = Number(payload.slice(tab + 1));
  if (tab <= 0 || !Number.isFinite(until)) throw new Error('not a dedup mark');
  return { id: payload.slice(0, tab), until };
}

/**
 * A durable {@link DedupStore}: marks are appended (and fsync'd) to `dedup.log` in `dir`, so a worker that is
 * killed and restarted still skips envelopes whose effect it had made durable. Expired marks are dropped on
 * load and when the log is compacted. One process per folder. The log is tamper-evident like the file
 * store's ({@link AppendLog}: a hash chain anchored in `dedup.log.head`): a deleted, reordered, duplicated or
 * altered mark fails the open with `E_STORE_INTEGRITY` naming the record; only a torn last line is dropped.
 */
export class FileDedupStore implements DedupStore {
  readonly name = 'file-dedup';
  readonly #now: () => number;
  readonly #compactAfter: number;
  readonly #expiry = new Map<string, number>();
  readonly #log: AppendLog;
  #lines: number;
  #closed = false;
  #tail: Promise<void> = Promise.resolve();

  private constructor(log: AppendLog, marks: readonly Mark[], options: FileDedupStoreOptions) {
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#compactAfter = options.compactAfter ?? 100_000;
    const now = this.#now();
    for (const { id, until } of marks) if (until > now) this.#expiry.set(id, until);
    this.#lines = marks.length;
  }

  /**
   * Opens (or creates) the store in `options.dir`, loading the marks that have not expired. A damaged or
   * tampered log is `E_STORE_INTEGRITY` naming the record.
   */
  static async open(options: FileDedupStoreOptions): Promise<FileDedupStore> {
    await mkdir(options.dir, { recursive: true });
    await sweepTempFiles(options.dir);
    const { log, contents } = await AppendLog.open(join(options.dir, 'dedup.log'), {
      codec: recordCodec(undefined),
      parse: parseMark,
    });
    return new FileDedupStore(log, contents.records, options);
  }

  /** True when `id` was marked and its mark has not expired. */
  async has(id: string): Promise<boolean> {
    const until = this.#expiry.get(id);
    return until !== undefined && until > this.#now();
  }

  /** Marks `id` done for `ttlMs`, durably (the line is fsync'd before this resolves). */
  async mark(id: string, ttlMs: number): Promise<void> {
    if (id.length === 0 || /[\t\n]/.test(id))
      throw new DissonanceError('E_INPUT', 'dedup id must be non-empty, without tabs or newlines');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new DissonanceError('E_INPUT', `ttlMs must be > 0, got ${ttlMs}`);
    const until = this.#now() + ttlMs;
    const run = this.#tail.then(async () => {
      if (this.#closed) throw new DissonanceError('E_STORE', 'dedup store is closed');
      await this.#log.append([`${id}\t${until}`]);
      this.#expiry.set(id, until);
      if (++this.#lines >= this.#compactAfter) await this.#compact();
    });
    this.#tail = run.catch(() => undefined);
    await run;
  }

  /** Ids currently remembered (not expired). */
  get size(): number {
    const now = this.#now();
    let n = 0;
    for (const until of this.#expiry.values()) if (until > now) n++;
    return n;
  }

  /** Closes the log file (anchoring its chain). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.#log.close();
  }

  async #compact(): Promise<void> {
    const now = this.#now();
    const live = [...this.#expiry].filter(([, until]) => until > now);
    this.#expiry.clear();
    for (const [id, until] of live) this.#expiry.set(id, until);
    await this.#log.replace(live.map(([id, until]) => `${id}\t${until}`));
    this.#lines = live.length;
  }
}
