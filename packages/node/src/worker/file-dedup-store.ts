import { open, mkdir, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DissonanceError, type DedupStore } from '@dissonance/core';

/** Options of {@link FileDedupStore.open}. */
export interface FileDedupStoreOptions {
  /** Folder of the store's log (created when missing). */
  readonly dir: string;
  /** Clock for expiry; default `Date.now`. */
  readonly now?: () => number;
  /** Rewrite the log without expired ids once it holds this many lines; default 100 000. */
  readonly compactAfter?: number;
}

/**
 * A durable {@link DedupStore}: marks are appended (and fsync'd) to `dedup.log` in `dir`, so a worker that is
 * killed and restarted still skips envelopes whose effect it had made durable. Expired marks are dropped on
 * load and when the log is compacted. One process per folder.
 */
export class FileDedupStore implements DedupStore {
  readonly name = 'file-dedup';
  readonly #path: string;
  readonly #now: () => number;
  readonly #compactAfter: number;
  readonly #expiry = new Map<string, number>();
  #file: FileHandle | undefined;
  #lines = 0;
  #tail: Promise<void> = Promise.resolve();

  private constructor(dir: string, options: FileDedupStoreOptions) {
    this.#path = join(dir, 'dedup.log');
    this.#now = options.now ?? Date.now;
    this.#compactAfter = options.compactAfter ?? 100_000;
  }

  /** Opens (or creates) the store in `options.dir`, loading the marks that have not expired. */
  static async open(options: FileDedupStoreOptions): Promise<FileDedupStore> {
    await mkdir(options.dir, { recursive: true });
    const store = new FileDedupStore(options.dir, options);
    await store.#load();
    return store;
  }

  async #load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const now = this.#now();
    for (const line of text.split('\n')) {
      const tab = line.lastIndexOf('\t');
      if (tab <= 0) continue; // a torn last line (crash mid-write) or an empty one
      const until = Number(line.slice(tab + 1));
      if (Number.isFinite(until) && until > now) this.#expiry.set(line.slice(0, tab), until);
      this.#lines++;
    }
    this.#file = await open(this.#path, 'a');
  }

  /** True when `id` was marked and its mark has not expired. */
  async has(id: string): Promise<boolean> {
    const until = this.#expiry.get(id);
    return until !== undefined && until > this.#now();
  }

  /** Marks `id` done for `ttlMs`, durably (the line is fsync'd before this resolves). */
  async mark(id: string, ttlMs: number): Promise<void> {
    if (id.length === 0 || /[\t\n]/.test(id)) throw new DissonanceError('E_INPUT', 'dedup id must be non-empty, without tabs or newlines');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new DissonanceError('E_INPUT', `ttlMs must be > 0, got ${ttlMs}`);
    const until = this.#now() + ttlMs;
    const run = this.#tail.then(async () => {
      const file = this.#handle();
      await file.appendFile(`${id}\t${until}\n`);
      await file.sync();
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

  /** Closes the log file. */
  async close(): Promise<void> {
    await this.#tail;
    await this.#file?.close();
    this.#file = undefined;
  }

  #handle(): FileHandle {
    if (this.#file === undefined) throw new DissonanceError('E_STORE', 'dedup store is closed');
    return this.#file;
  }

  async #compact(): Promise<void> {
    const now = this.#now();
    const live = [...this.#expiry].filter(([, until]) => until > now);
    this.#expiry.clear();
    for (const [id, until] of live) this.#expiry.set(id, until);
    const temp = `${this.#path}.compact`;
    const out = await open(temp, 'w');
    try {
      await out.writeFile(live.map(([id, until]) => `${id}\t${until}\n`).join(''));
      await out.sync();
    } finally {
      await out.close();
    }
    await this.#file?.close();
    await rename(temp, this.#path);
    this.#file = await open(this.#path, 'a');
    this.#lines = live.length;
  }
}
