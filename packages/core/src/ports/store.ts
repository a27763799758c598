import type { TrainingExample } from './batch.js';

/** JSON-compatible value stored by {@link Store.setValue}. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One append-only audit record: who changed what, when, from what to what. */
export interface AuditEntry {
  /** Epoch milliseconds. */
  readonly at: number;
  /** Principal that acted (`system` for the loop itself). */
  readonly who: string;
  /** What was done, e.g. `policy.update`, `model.promote`, `model.rollback`. */
  readonly action: string;
  readonly before?: JsonValue;
  readonly after?: JsonValue;
  readonly reason?: string;
}

/**
 * Replay buffer, key/value state (policy, deferred items) and audit log. The replay buffer is bounded:
 * appending past capacity evicts the oldest examples; an example whose id is already held replaces it.
 * Inputs are checked (`E_INPUT`: non-finite features, bad weights, non-JSON values, a negative `limit`), stored
 * and returned data are copies, and calls after `close()` fail with `E_STORE`.
 */
export interface Store {
  readonly name: string;
  /** True when data survives a process restart. */
  readonly durable: boolean;
  /** Adds examples to the replay buffer (evicting the oldest beyond capacity). */
  appendExamples(examples: readonly TrainingExample[]): Promise<void>;
  /** The newest `limit` examples (all when absent), oldest first. */
  examples(limit?: number): Promise<TrainingExample[]>;
  /** Number of examples held. */
  countExamples(): Promise<number>;
  /** Reads a value; `undefined` when absent. */
  getValue(key: string): Promise<JsonValue | undefined>;
  /** Writes a value (durably, where the store is durable). */
  setValue(key: string, value: JsonValue): Promise<void>;
  /** Removes a value. */
  deleteValue(key: string): Promise<void>;
  /** Appends to the audit log. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** The audit log, oldest first. */
  audit(): Promise<AuditEntry[]>;
  /** Releases resources. */
  close?(): Promise<void>;
}
