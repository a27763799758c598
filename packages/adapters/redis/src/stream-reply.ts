/** One entry read from a stream (replies read as buffers): where it lives, and its raw `envelope` field. */
export interface StreamEntry {
  /** Key of the stream holding it. */
  readonly stream: string;
  /** Stream entry id. */
  readonly id: string;
  /** The `envelope` field as stored; `undefined` when the entry has none. */
  readonly raw: Buffer | undefined;
  /** How many times the group has delivered it, this delivery included (1 unless it was claimed). */
  readonly deliveries: number;
}

/** Decodes an `XREADGROUP` reply (`[[key, [[id, [field, value, …]], …]], …]` or null) into entries. */
export function parseReadReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StreamEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item)) continue;
    const [key, list] = item as unknown[];
    const stream = text(key);
    if (stream === undefined) continue;
    entries.push(...parseEntries(stream, list, 1));
  }
  return entries;
}

/** Decodes an `XAUTOCLAIM` reply (`[cursor, entries, deleted?]`): the next cursor and the claimed entries. */
export function parseClaimReply(stream: string, reply: unknown): { cursor: string; entries: StreamEntry[] } {
  if (!Array.isArray(reply)) return { cursor: '0-0', entries: [] };
  const [cursor, list] = reply as unknown[];
  return { cursor: text(cursor) ?? '0-0', entries: parseEntries(stream, list, 2) };
}

/** Decodes the extended `XPENDING` reply (`[[id, consumer, idleMs, deliveries], …]`) into id → deliveries. */
export function parsePendingCounts(reply: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  if (!Array.isArray(reply)) return counts;
  for (const item of reply) {
    if (!Array.isArray(item)) continue;
    const [id, , , deliveries] = item as unknown[];
    if (typeof id === 'string' && typeof deliveries === 'number') counts.set(id, deliveries);
  }
  return counts;
}

function parseEntries(stream: string, list: unknown, deliveries: number): StreamEntry[] {
  if (!Array.isArray(list)) return [];
  const entries: StreamEntry[] = [];
  for (const item of list) {
    if (!Array.isArray(item)) continue;
    const [rawId, fields] = item as unknown[];
    const id = text(rawId);
    if (id === undefined) continue;
    entries.push({ stream, id, raw: envelopeField(fields), deliveries });
  }
  return entries;
}

function envelopeField(fields: unknown): Buffer | undefined {
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value: unknown = fields[i + 1];
    if (text(fields[i]) !== 'envelope') continue;
    if (Buffer.isBuffer(value)) return value;
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
  }
  return undefined;
}

/** A reply element as text: a bulk string read as a buffer (`callBuffer`) or as a string. */
function text(value: unknown): string | undefined {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'string' ? value : undefined;
}
