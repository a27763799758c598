import { Redis } from 'ioredis';
import { rawBody, rawReceive, type RawBody } from './batch-data.js';
import { URLS } from './brokers.js';
import { Arrivals, publishWindowed, type Hop } from './hop.js';
import type { HopSettings } from './sdk-hop.js';

/** `BLOCK` of each read, in ms (the adapter's default `blockMs`). */
const BLOCK_MS = 1000;

/**
 * The raw Redis Streams baseline, ioredis only: `XADD <stream> * data <float32 bytes>` awaiting each reply
 * (`window` at once), and a consumer group created at `$` read by one consumer with
 * `XREADGROUP … COUNT <prefetch> BLOCK 1000` on its own connection, each entry acked with its own `XACK` on a
 * second connection (the acks of one read are sent together and awaited before the next read, so at most
 * `prefetch` entries are unacked, as with the adapter). The body is the batch's float32 bytes, or with `body`
 * `envelope` ready-made SDK wire frames.
 */
export async function rawRedisHop(
  stream: string,
  group: string,
  settings: HopSettings,
  body: RawBody = 'float32',
): Promise<Hop> {
  const { workload, prefetch, window } = settings;
  const publisher = new Redis(URLS.redis);
  const acker = new Redis(URLS.redis);
  const reader = new Redis(URLS.redis, { maxRetriesPerRequest: null });
  reader.on('error', () => undefined);
  // The group may exist already (the bench opens a side afresh each round): then it is reused as it is.
  await acker.call('XGROUP', 'CREATE', stream, group, '$', 'MKSTREAM').catch((error: unknown) => {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  });
  const arrivals = new Arrivals(settings.timeoutMs);
  let closing = false;
  const loop = (async () => {
    while (!closing) {
      let reply: unknown;
      try {
        reply = await reader.callBuffer(
          'XREADGROUP',
          'GROUP',
          group,
          'raw',
          'COUNT',
          String(prefetch),
          'BLOCK',
          String(BLOCK_MS),
          'STREAMS',
          stream,
          '>',
        );
      } catch (error) {
        if (!closing) arrivals.fail(error as Error);
        return;
      }
      const acks: Promise<void>[] = [];
      for (const [id, data] of entries(reply)) {
        try {
          rawReceive(workload, data, body);
        } catch (error) {
          arrivals.fail(error as Error);
          continue;
        }
        acks.push(acker.xack(stream, group, id).then(() => arrivals.arrive()));
      }
      await Promise.all(acks);
    }
  })();
  return {
    async run(messages) {
      const done = arrivals.expect(messages);
      await Promise.all([
        done,
        publishWindowed(messages, window, async (i) => {
          await publisher.xadd(stream, '*', 'data', rawBody(workload, i, body));
        }),
      ]);
    },
    async close() {
      closing = true;
      reader.disconnect();
      await loop;
      await Promise.all([publisher.quit(), acker.quit()]);
    },
  };
}

/** `[id, data]` of each entry of a one-stream `XREADGROUP` reply read as buffers. */
function entries(reply: unknown): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  if (!Array.isArray(reply)) return out;
  for (const streamReply of reply as unknown[]) {
    const list = (streamReply as unknown[])[1];
    if (!Array.isArray(list)) continue;
    for (const entry of list as unknown[]) {
      const [id, fields] = entry as [Buffer, Buffer[]];
      const at = fields.findIndex((field, i) => i % 2 === 0 && field.toString() === 'data');
      if (at >= 0) out.push([id.toString(), fields[at + 1]!]);
    }
  }
  return out;
}
