import { auditCopy, checkedAuditCopy } from './copy-audit.js';
import { DissonanceError } from '../errors.js';
import type { TrainingExample } from '../ports/batch.js';
import type { AuditEntry, JsonValue, Store } from '../ports/store.js';
import { cloneJson } from './clone-json.js';
import { checkedExampleCopy, exampleCopy } from './copy-example.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most examples the replay buffer holds; the oldest are evicted beyond it. Default 10 000. */
  readonly capacity?: number;
}

/**
 * The embedded {@link Store}: replay buffer, values and audit log in process memory (`durable: false`).
 * Nothing a caller passes in or gets back is shared with what is stored: examples, values and audit entries
 * are copied on the way in and on the way out. Inputs are checked (`E_INPUT`) before anything is changed, so
 * a rejected call changes nothing. After `close()` every call rejects with `E_STORE`.
 */
export class MemoryStore implements Store {
  /** `memory`. */
  readonly name = 'memory';
  /** Always false: contents live only as long as the process. */
  readonly durable = false;
  /** Replay-buffer bound. */
  readonly capacity: number;
  /** Insertion order is age order: the first key is the oldest example. */
  readonly #examples = new Map<string, TrainingExample>();
  readonly #values = new Map<string, JsonValue>();
  readonly #audit: AuditEntry[] = [];
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new DissonanceError('E_CONFIG', `store capacity must be a positive integer, got ${capacity}`, {
        details: { field: 'capacity' },
      });
    }
    this.capacity = capacity;
  }

  appendExamples(examples: readonly TrainingExample[]): Promise<void> {
    return this.#run(() => {
      if (!Array.isArray(examples)) throw new DissonanceError('E_INPUT', 'examples must be an array');
      const copies = examples.map((example, i) => checkedExampleCopy(example, `examples[${i}]`));
      for (const copy of copies) {
        this.#examples.delete(copy.id);
        this.#examples.set(copy.id, copy);
      }
      for (const id of this.#examples.keys()) {
        if (this.#examples.size <= this.capacity) break;
        this.#examples.delete(id);
      }
    });
  }

  examples(limit?: number): Promise<TrainingExample[]> {
    return this.#run(() => {
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw new DissonanceError('E_INPUT', `limit must be an integer ≥ 0, got ${limit}`, {
          details: { field: 'limit' },
        });
      }
      const all = [...this.#examples.values()];
      const newest = limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
      return newest.map(exampleCopy);
    });
  }

  countExamples(): Promise<number> {
    return this.#run(() => this.#examples.size);
  }

  getValue(key: string): Promise<JsonValue | undefined> {
    return this.#run(() => {
      const value = this.#values.get(key);
      return value === undefined ? undefined : cloneJson(value, key);
    });
  }

  setValue(key: string, value: JsonValue): Promise<void> {
    return this.#run(() => {
      checkKey(key);
      this.#values.set(key, cloneJson(value, key));
    });
  }

  deleteValue(key: string): Promise<void> {
    return this.#run(() => {
      this.#values.delete(key);
    });
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#run(() => {
      this.#audit.push(checkedAuditCopy(entry));
    });
  }

  audit(): Promise<AuditEntry[]> {
    return this.#run(() => this.#audit.map(auditCopy));
  }

  /** Drops every example, value and audit entry; later calls reject with `E_STORE`. */
  close(): Promise<void> {
    this.#closed = true;
    this.#examples.clear();
    this.#values.clear();
    this.#audit.length = 0;
    return Promise.resolve();
  }

  /** Runs `work` unless closed, turning throws into rejections. */
  #run<T>(work: () => T): Promise<T> {
    try {
      if (this.#closed) throw new DissonanceError('E_STORE', 'memory store is closed');
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new DissonanceError('E_INPUT', 'value key must be a non-empty string', { details: { field: 'key' } });
  }
}
