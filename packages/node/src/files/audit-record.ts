import type { AuditEntry } from '@dissonance/core';
import { checkedAuditCopy } from '@dissonance/core/adapter-kit';

/** One line of `audit.log`. */
export function auditLine(entry: AuditEntry): string {
  return JSON.stringify(entry);
}

/** Parses one line of `audit.log`; throws when it is not a valid entry. */
export function parseAuditLine(line: string): AuditEntry {
  return checkedAuditCopy(JSON.parse(line) as AuditEntry);
}
