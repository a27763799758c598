import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  DissonanceError,
  toDissonanceError,
  type AuditEntry,
  type JsonValue,
  type KeyProvider,
  type Store,
  type TrainingExample,
} from '@dissonance/core';
import { auditCopy, checkedAuditCopy, checkedExampleCopy, cloneJson, exampleCopy } from '@dissonance/core/adapter-kit';
import { AppendLog } from './append-log.js';
import { syncDirectory, writeFileAtomic } from './atomic-write.js';
import { auditLine, parseAuditLine } from './audit-record.js';
import { examplesLine, parseExamplesLine } from './example-record.js';
import { recordCodec, type RecordCodec } from './record-codec.js';
import { acquireLockFile, type LockFile } from './lock-file.js';
import { sweepTempFiles } from './temp-files.js';

/** Options of {@link FileStore.open}. */
export interface FileStoreOptions {
  /** Directory of the store's files; created when absent. One open store per directory at a time. */
  readonly dir: string;
  /** Most examples the replay buffer holds; the oldest are evicted beyond it. Default 10 000. */
  readonly capacity?: number;
  /**
   * Encrypts every record at rest (each examples and audit line, and `values.json`) with AES-256-GCM under
   * the provider's current key; records are read with the key their header names. Default: plaintext. A store
   * written with encryption cannot be opened without it, nor the other way round (`E_DECRYPT`).
   */
  readonly encryption?: KeyProvider;
  /**
   * `store.lock` is held as a lease of this many milliseconds, refreshed every third of it while the store
   * is open. A lock whose lease was not refreshed in time (its holder is gone, on whatever host, or its pid
   * now belongs to another process) is taken over by the next open. Default 60 000.
   */
  readonly lockLeaseMs?: number;
}

const EXAMPLES = 'examples.log';
const VALUES = 'values.json';
const AUDIT = 'audit.log';
const LOCK = 'store.lock';
const DEFAULT_LEASE_MS = 60_000;
/** Examples per line when the log is rewritten by compaction. */
const COMPACT_CHUNK = 1000;

/**
 * A durable {@link Store} in a directory, without native dependencies:
 *
 * ```
 * <dir>/examples.log   replay buffer: one JSON line per appended batch (float32 as base64), fsync'd per append
 * <dir>/values.json    key → JSON value, replaced atomically on every change
 * <dir>/audit.log      one JSON line per audit entry, fsync'd per append
 * <dir>/*.log.head     the end of each log's hash chain, anchored on open, compaction and close
 * <dir>/store.lock     held while open: { pid, host, token, at, lease } of the process that has the store open
 * ```
 *
 * Every write resolves only once it is on disk. Contents are loaded into memory on open; a torn last line of
 * either log (a crash during an append that was never acknowledged) is cut off, while a damaged, deleted,
 * reordered or duplicated record anywhere fails the open with `E_STORE_INTEGRITY` naming the file and record
 * (the logs are hash-chained, {@link AppendLog}). The replay buffer is bounded by `capacity` in memory; once the log holds more
 * than twice `capacity` examples it is rewritten atomically with just the buffer. One process at a time:
 * a second open of the same directory fails with `E_STORE` naming the lock, its holder and the recovery
 * command while the first holder lives and refreshes its lease; an expired lease is taken over. Calls run one at a
 * time in call order; inputs are checked like the memory store's (`E_INPUT`, nothing changed); I/O failures
 * and calls after `close()` are `E_STORE`. With `encryption`, each line (and `values.json`) is an AES-256-GCM
 * envelope in base64; a record that does not authenticate fails the open with `E_DECRYPT`, never read as
 * garbage and never cut off as a torn tail.
 */
export class FileStore implements Store {
  /** `file`. */
  readonly name = 'file';
  /** Always true: contents survive a restart. */
  readonly durable = true;
  /** Absolute path of the store's directory. */
  readonly dir: string;
  /** Replay-buffer bound. */
  readonly capacity: number;
  /** Insertion order is age order: the first key is the oldest example. */
  readonly #examples: Map<string, TrainingExample>;
  #values: Map<string, JsonValue>;
  readonly #audit: AuditEntry[];
  readonly #examplesLog: AppendLog;
  readonly #auditLog: AppendLog;
  readonly #lock: LockFile;
  readonly #codec: RecordCodec;
  /** Examples written to the log since it was last rewritten: what a reopen replays. */
  #logged: number;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(parts: {
    dir: string;
    capacity: number;
    examples: Map<string, TrainingExample>;
    values: Map<string, JsonValue>;
    audit: AuditEntry[];
    examplesLog: AppendLog;
    auditLog: AppendLog;
    lock: LockFile;
    logged: number;
    codec: RecordCodec;
  }) {
    this.dir = parts.dir;
    this.capacity = parts.capacity;
    this.#examples = parts.examples;
    this.#values = parts.values;
    this.#audit = parts.audit;
    this.#examplesLog = parts.examplesLog;
    this.#auditLog = parts.auditLog;
    this.#lock = parts.lock;
    this.#logged = parts.logged;
    this.#codec = parts.codec;
  }

  /**
   * Opens (creating when absent) the store in `options.dir` and loads it. Throws `E_CONFIG` for bad options,
   * `E_STORE` when the directory is in use by another live process, cannot be read or written, or holds
   * damaged files (named in the message).
   */
  static async open(options: FileStoreOptions): Promise<FileStore> {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new DissonanceError('E_CONFIG', `store capacity must be a positive integer, got ${capacity}`, {
        details: { field: 'capacity' },
      });
    }
    if (typeof options.dir !== 'string' || options.dir.length === 0) {
      throw new DissonanceError('E_CONFIG', 'file store dir must be a non-empty path', { details: { field: 'dir' } });
    }
    const dir = resolve(options.dir);
    let lock: LockFile | undefined;
    const opened: AppendLog[] = [];
    try {
      const created = await mkdir(dir, { recursive: true });
      if (created !== undefined) await syncDirectory(dirname(created));
      lock = await acquireLockFile(join(dir, LOCK), {
        code: 'E_STORE',
        leaseMs: options.lockLeaseMs ?? DEFAULT_LEASE_MS,
        recovery: unlockAdvice(dir),
      });
      await sweepTempFiles(dir);
      const codec = recordCodec(options.encryption);
      const values = await readValues(join(dir, VALUES), codec);
      const examples = await openLog(join(dir, EXAMPLES), codec, parseExamplesLine);
      opened.push(examples.log);
      const audit = await openLog(join(dir, AUDIT), codec, parseAuditLine);
      opened.push(audit.log);
      const buffer = new Map<string, TrainingExample>();
      let logged = 0;
      for (const batch of examples.records) {
        insert(buffer, batch, capacity);
        logged += batch.length;
      }
      const store = new FileStore({
        dir,
        capacity,
        examples: buffer,
        values,
        audit: audit.records,
        examplesLog: examples.log,
        auditLog: audit.log,
        lock,
        logged,
        codec,
      });
      await store.#compactIfDue();
      return store;
    } catch (error) {
      for (const log of opened) await log.close().catch(() => undefined);
      await lock?.release();
      throw toDissonanceError(error, 'E_STORE', `file store ${dir}`);
    }
  }

  appendExamples(examples: readonly TrainingExample[]): Promise<void> {
    return this.#run('append examples', async () => {
      if (!Array.isArray(examples)) throw new DissonanceError('E_INPUT', 'examples must be an array');
      const copies = examples.map((example, i) => checkedExampleCopy(example, `examples[${i}]`));
      if (copies.length === 0) return;
      await this.#lock.assertHeld();
      await this.#examplesLog.append([examplesLine(copies)]);
      insert(this.#examples, copies, this.capacity);
      this.#logged += copies.length;
      await this.#compactIfDue();
    });
  }

  examples(limit?: number): Promise<TrainingExample[]> {
    return this.#run('read examples', () => {
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw new DissonanceError('E_INPUT', `limit must be an integer ≥ 0, got ${limit}`, {
          details: { field: 'limit' },
        });
      }
      const all = [...this.#examples.values()];
      const newest = limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
      return Promise.resolve(newest.map(exampleCopy));
    });
  }

  countExamples(): Promise<number> {
    return this.#run('count examples', () => Promise.resolve(this.#examples.size));
  }

  getValue(key: string): Promise<JsonValue | undefined> {
    return this.#run('get value', () => {
      const value = this.#values.get(key);
      return Promise.resolve(value === undefined ? undefined : cloneJson(value, key));
    });
  }

  setValue(key: string, value: JsonValue): Promise<void> {
    return this.#run('set value', async () => {
      if (typeof key !== 'string' || key.length === 0) {
        throw new DissonanceError('E_INPUT', 'value key must be a non-empty string', { details: { field: 'key' } });
      }
      const next = new Map(this.#values).set(key, cloneJson(value, key));
      await this.#writeValues(next);
    });
  }

  deleteValue(key: string): Promise<void> {
    return this.#run('delete value', async () => {
      if (!this.#values.has(key)) return;
      const next = new Map(this.#values);
      next.delete(key);
      await this.#writeValues(next);
    });
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#run('append audit', async () => {
      const copy = checkedAuditCopy(entry);
      await this.#lock.assertHeld();
      await this.#auditLog.append([auditLine(copy)]);
      this.#audit.push(copy);
    });
  }

  audit(): Promise<AuditEntry[]> {
    return this.#run('read audit', () => Promise.resolve(this.#audit.map(auditCopy)));
  }

  /**
   * Waits for calls already made, closes the files and releases the directory; later calls reject with
   * `E_STORE`. Everything acknowledged is already on disk. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#examplesLog.close().catch(() => undefined);
    await this.#auditLog.close().catch(() => undefined);
    await this.#lock.release();
    this.#examples.clear();
    this.#values.clear();
    this.#audit.length = 0;
  }

  /** Queues `work` after every earlier call, unless closed; unexpected failures become `E_STORE`. */
  #run<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new DissonanceError('E_STORE', `file store ${this.dir} is closed`));
    const result = this.#queue.then(async () => {
      try {
        return await work();
      } catch (error) {
        throw toDissonanceError(error, 'E_STORE', `file store ${this.dir}: ${what}`);
      }
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #writeValues(next: Map<string, JsonValue>): Promise<void> {
    await this.#lock.assertHeld();
    await writeFileAtomic(
      join(this.dir, VALUES),
      `${await this.#codec.encode(JSON.stringify(Object.fromEntries(next)))}\n`,
    );
    this.#values = next;
  }

  /**
   * Rewrites the examples log with just the buffer once it holds more than twice `capacity` examples. The
   * appends were durable before this runs, so a failed rewrite loses nothing: the next append tries again.
   */
  async #compactIfDue(): Promise<void> {
    if (this.#logged <= 2 * this.capacity) return;
    const all = [...this.#examples.values()];
    const lines: string[] = [];
    for (let start = 0; start < all.length; start += COMPACT_CHUNK) {
      lines.push(examplesLine(all.slice(start, start + COMPACT_CHUNK)));
    }
    try {
      await this.#examplesLog.replace(lines);
      this.#logged = all.length;
    } catch {
      // The old log is intact (or the new one is in place): retried on the next append.
    }
  }
}

/** What to do about a store held by another process: the operator command, named in the error. */
function unlockAdvice(dir: string): string {
  return `If that process is gone, run: dissonance store unlock --dir ${JSON.stringify(dir)} (add --force when it ran on another host or its pid now belongs to another process)`;
}

/** Adds a batch to the buffer (an id already held moves to the newest place) and evicts beyond `capacity`. */
function insert(buffer: Map<string, TrainingExample>, batch: readonly TrainingExample[], capacity: number): void {
  for (const example of batch) {
    buffer.delete(example.id);
    buffer.set(example.id, example);
  }
  for (const id of buffer.keys()) {
    if (buffer.size <= capacity) break;
    buffer.delete(id);
  }
}

async function openLog<T>(
  path: string,
  codec: RecordCodec,
  parse: (payload: string) => T,
): Promise<{ log: AppendLog; records: T[] }> {
  const { log, contents } = await AppendLog.open(path, { codec, parse });
  return { log, records: contents.records };
}

/** The values in `values.json`; none when it does not exist; `E_STORE` naming the file when it is damaged. */
async function readValues(path: string, codec: RecordCodec): Promise<Map<string, JsonValue>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  text = await codec.decode(text.trimEnd(), VALUES);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return new Map(Object.entries(value).map(([key, item]) => [key, cloneJson(item, key)]));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DissonanceError('E_STORE', `values file ${path} is damaged: ${reason}`, {
      cause: error,
      details: { path },
    });
  }
}
