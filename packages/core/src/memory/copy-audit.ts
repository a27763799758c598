import { DissonanceError } from '../errors.js';
import type { AuditEntry } from '../ports/store.js';
import { cloneJson } from './clone-json.js';

/**
 * Checks an audit entry and returns a private copy holding only the {@link AuditEntry} fields (`E_INPUT`
 * naming the field: `at` not finite, empty `who` or `action`, a non-string `reason`, non-JSON `before`/`after`).
 * Every store applies these same rules.
 */
export function checkedAuditCopy(entry: AuditEntry): AuditEntry {
  const value: unknown = entry;
  if (typeof value !== 'object' || value === null)
    throw new DissonanceError('E_INPUT', 'audit entry must be an object');
  const { at, who, action, before, after, reason } = value as Partial<Record<keyof AuditEntry, unknown>>;
  if (typeof at !== 'number' || !Number.isFinite(at)) throw bad('at', 'must be a finite number');
  if (typeof who !== 'string' || who.length === 0) throw bad('who', 'must be a non-empty string');
  if (typeof action !== 'string' || action.length === 0) throw bad('action', 'must be a non-empty string');
  if (reason !== undefined && typeof reason !== 'string') throw bad('reason', 'must be a string');
  return {
    at,
    who,
    action,
    ...(before === undefined ? {} : { before: cloneJson(before, 'audit.before') }),
    ...(after === undefined ? {} : { after: cloneJson(after, 'audit.after') }),
    ...(reason === undefined ? {} : { reason }),
  };
}

/** A deep copy of a checked audit entry, for handing out. */
export function auditCopy(entry: AuditEntry): AuditEntry {
  return {
    ...entry,
    ...(entry.before === undefined ? {} : { before: cloneJson(entry.before, 'audit.before') }),
    ...(entry.after === undefined ? {} : { after: cloneJson(entry.after, 'audit.after') }),
  };
}

function bad(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `audit.${field} ${problem}`, { details: { field: `audit.${field}` } });
}
