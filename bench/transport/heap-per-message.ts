/**
 * JavaScript heap allocated per message by one side of the transport bench's hop, by function:
 *
 *   npx tsx bench/transport/heap-per-message.ts <amqp|nats|redis> <raw|transport|sdk> [messages=8000] [--promoted]
 *
 * Runs the side alone (a warm-up of 3,000 messages), then samples the heap with V8's sampling heap profiler
 * (one sample per KiB allocated) over `messages` messages and prints the sampled bytes per message, in all and
 * for the 25 functions that allocate most. `--promoted` leaves out what the young-generation collector freed:
 * what is left survived it (was promoted to the old generation, or is in flight at the end), which is what
 * makes the major collections. Off-heap bytes (the float32 copies' `ArrayBuffer`s) are not counted.
 */
import { Session } from 'node:inspector/promises';
import { makeWorkload } from './batch-data.js';
import { cleanUp } from './brokers.js';
import { uniqueName } from './hop.js';
import { SIDE_NAMES, openSide, type Side } from './sides.js';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const args = process.argv.slice(2);
const promoted = args.includes('--promoted');
const [broker = '', side = '', messagesArg = '8000'] = args.filter((arg) => !arg.startsWith('--'));
if (!['amqp', 'nats', 'redis'].includes(broker) || !['raw', 'transport', 'sdk'].includes(side)) {
  console.error(
    'usage: npx tsx bench/transport/heap-per-message.ts <amqp|nats|redis> <raw|transport|sdk> [messages] [--promoted]',
  );
  process.exit(2);
}
const messages = Number(messagesArg);
const prefix = uniqueName();
const hop = await openSide(broker as 'redis', side as Side, prefix, {
  workload: makeWorkload(32, 64),
  prefetch: 64,
  window: 64,
  timeoutMs: 120_000,
});
const session = new Session();
session.connect();
try {
  await hop.run(3000);
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !promoted,
  });
  await hop.run(messages);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|packages|bench)\//, '$1/')}:${lineNumber + 1}`;
    total += node.selfSize;
    if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head as ProfileNode);
  console.log(
    `${broker} ${side}: ${Math.round(total / messages)} bytes per message${promoted ? ' surviving a young-generation GC' : ''}`,
  );
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${String(Math.round(bytes / messages)).padStart(7)}  ${site}`);
  }
} finally {
  session.disconnect();
  await hop.close();
  const name = SIDE_NAMES[side as Side];
  await cleanUp(broker as 'redis', prefix, { queues: [`${prefix}.${name}.g`], exchanges: [`${prefix}.${name}`] }).catch(
    () => undefined,
  );
}
