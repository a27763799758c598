import { checkedAuditCopy, type AuditEntry } from '@dissonance/core';

/** One line of `audit.log`. */
export function auditLine(entry: AuditEntry): string {
  return JSON.stringify(entry);
}

/** Parses one line of `audit.log`; throws when it is not a valid entry. */
export function parseAuditLine(line: string): AuditEntry {
  return checkedAuditCopy(JSON.parse(line) as AuditEntry);
}
