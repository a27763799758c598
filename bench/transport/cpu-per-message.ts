/**
 * CPU per message of one side of the transport bench's hop, this process and the broker apart:
 *
 *   npx tsx bench/transport/cpu-per-message.ts <amqp|nats|redis> <raw|transport|sdk> [runs=3] [messages=6000]
 *
 * Runs the side alone (a warm-up of 500 messages, then `runs` runs) and prints per run: messages/s, this
 * process's user and system CPU per message (`process.cpuUsage()`, all its threads), and the broker's CPU per
 * message (utime + stime of its processes from `/proc/<pid>/stat`, Linux only). Not interleaved with the other
 * sides, so compare sides over several invocations; `npm run bench:transport` gives the paired ratios.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { makeWorkload } from './batch-data.js';
import { cleanUp } from './brokers.js';
import { uniqueName } from './hop.js';
import type { HopSettings } from './sdk-hop.js';
import { SIDE_NAMES, openSide, type Side } from './sides.js';

type Broker = 'amqp' | 'nats' | 'redis';
const BROKER_PROCESS: Record<Broker, string> = { amqp: 'beam.smp', nats: 'nats-server', redis: 'redis-server' };

const [brokerArg = '', side = '', runsArg = '3', messagesArg = '6000'] = process.argv.slice(2);
if (!(brokerArg in BROKER_PROCESS) || !['raw', 'transport', 'sdk'].includes(side)) {
  console.error(
    'usage: npx tsx bench/transport/cpu-per-message.ts <amqp|nats|redis> <raw|transport|sdk> [runs] [messages]',
  );
  process.exit(2);
}
const broker = brokerArg as Broker;
const runs = Number(runsArg);
const messages = Number(messagesArg);

const settings: HopSettings = { workload: makeWorkload(32, 64), prefetch: 64, window: 64, timeoutMs: 120_000 };
const prefix = uniqueName();

/** CPU milliseconds the broker's processes have used so far. */
function brokerCpuMs(pids: readonly string[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process is gone.
    }
  }
  return ticks * 10;
}

const pids = execFileSync('pgrep', ['-f', BROKER_PROCESS[broker]]).toString().trim().split('\n');
const hop = await openSide(broker, side as Side, prefix, settings);
try {
  await hop.run(500);
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const brokerStart = brokerCpuMs(pids);
    await hop.run(messages);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const brokerMs = brokerCpuMs(pids) - brokerStart;
    console.log(
      `${broker} ${side}: ${Math.round(messages / seconds)} msg/s; this process user ${(used.user / messages).toFixed(1)} µs/msg, ` +
        `system ${(used.system / messages).toFixed(1)} µs/msg; broker ${((brokerMs * 1000) / messages).toFixed(1)} µs/msg`,
    );
  }
} finally {
  await hop.close();
  const name = SIDE_NAMES[side as Side];
  await cleanUp(broker, prefix, { queues: [`${prefix}.${name}.g`], exchanges: [`${prefix}.${name}`] }).catch(
    () => undefined,
  );
}
