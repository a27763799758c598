/**
 * Transport bench: what the SDK's transports cost over raw broker clients, per broker, and what a three-stage
 * pipeline moves.
 *
 *   npm run bench:transport -- [--brokers memory,amqp,nats,redis] [--messages 4000] [--repeats 9] [--rows 32]
 *                              [--width 64] [--prefetch 64] [--window 64] [--no-pipeline] [--pipeline-messages N]
 *                              [--timeout 120] [--json]
 *
 * Each message is a batch of `rows × width` float32 features (default 32 × 64 = 8 KiB).
 * 1. One hop, per broker, four sides measured alternately: the SDK (`transport.publish` of
 *    `createEnvelope('dissonance.batch', encodeBatch(…))`, `window` publishes awaiting confirmation at once, into
 *    a subscriber of a consumer group with `prefetch` that decodes each batch with `decodeBatch` and acks it);
 *    the SDK transport only (payload encoded ahead of time, not decoded); a raw client loop (amqplib /
 *    @nats-io/jetstream / ioredis) with the same durability, prefetch and window that ships the float32 bytes as
 *    they are; and the same raw loop carrying ready-made SDK wire frames (the broker's cost of the bigger
 *    body). Each side runs in a child process of its own (`side-worker.ts`: its own heap, JIT state and
 *    connections, as a service using either would; in one process the sides' code paths and garbage mix), and
 *    the parent times each run; every round starts fresh processes, each warmed up with one untimed run, so
 *    that no one process decides every round of its side. Publisher and consumer use separate connections.
 *    `repeats` timed runs of `messages` per side; a run is timed from the first publish to the last ack. Median
 *    items/s, and SDK/raw
 *    (target ≥ 0.8) as the median of the per-round ratios (each round runs every side once, seconds apart).
 *    Between runs (untimed) the Redis streams and JetStream streams are emptied of the consumed messages.
 *    `memory` (the in-process MemoryTransport) is a reference without raw sides.
 * 2. Three-stage pipeline, per broker: source → stage A → stage B → sink, each stage a subscriber that decodes
 *    the batch, publishes it to the next topic and acks after the confirm; A, B and the sink each in a child
 *    process (`node --import tsx`) with its own transport (in this process for memory). Median items/s over
 *    `repeats` runs of `--pipeline-messages`, and its ratio to the same broker's one-hop SDK rate.
 * 3. The CPU cost per message of the SDK's envelope/batch codec and of the raw clients' byte handling, measured
 *    in a fresh child process.
 * Every queue, exchange, stream and key has a fresh `bench-<random>` prefix and is deleted afterwards.
 * `--json` prints one JSON document on stdout (progress goes to stderr).
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { MemoryTransport } from '../../packages/core/src/index.js';
import { parseArgs, type Broker } from './args.js';
import { makeWorkload } from './batch-data.js';
import { cleanUp, serverVersion, trimConsumed } from './brokers.js';
import { codecCostsInFreshProcess } from './codec-cost-process.js';
import { uniqueName, type Hop } from './hop.js';
import { pipelineAmqpNames, startPipeline } from './pipeline.js';
import type { HopSettings } from './sdk-hop.js';
import { SIDE_NAMES, openSide, spawnSide, type Side } from './sides.js';

/** The sides of a broker's hop, in the order of the results. */
const SIDES: readonly Side[] = ['sdk', 'transport', 'raw', 'raw-envelope'];

const TARGET = 0.8;

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => {
  if (args.json) process.stderr.write(`${line}\n`);
  else console.log(line);
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Items/s of a set of timed runs. */
interface Rate {
  /** Median over the runs. */
  readonly itemsPerSecond: number;
  readonly messagesPerSecond: number;
  /** Items/s of each run, in order. */
  readonly runs: number[];
}

interface BrokerResult {
  readonly broker: Broker;
  readonly server: string;
  readonly sdk?: Rate;
  /** The SDK with the payload encoded ahead of time and not decoded: the transport alone. */
  readonly sdkTransport?: Rate;
  readonly raw?: Rate;
  /** The raw client carrying ready-made SDK wire frames instead of the float32 bytes. */
  readonly rawEnvelope?: Rate;
  /**
   * SDK / raw, the figure with the ≥ 0.8 target: the median over the rounds of the SDK run's rate divided by the
   * raw run's rate of the same round (runs of one round are seconds apart, so a slow spell of the shared
   * machine hits both); `ratioRange` is the lowest and highest round.
   */
  readonly ratio?: number;
  readonly ratioRange?: readonly [number, number];
  /** SDK transport only / raw, paired the same way. */
  readonly ratioTransport?: number;
  /** Raw with SDK frame bytes / raw: what the SDK's body (header included) costs the broker and clients alone. */
  readonly ratioEnvelopeBytes?: number;
  readonly pipeline?: Rate & { readonly where: string; readonly ratioToHop: number };
  readonly error?: string;
}

const workload = makeWorkload(args.rows, args.width);
const settings: HopSettings = {
  workload,
  prefetch: args.prefetch,
  window: args.window,
  timeoutMs: args.timeoutSeconds * 1000,
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per round, the rate of `side` over the rate of `baseline` (the runs of both are in round order). */
function paired(side: Rate, baseline: Rate): number[] {
  return side.runs.map((run, r) => run / baseline.runs[r]!);
}

function rate(runs: number[]): Rate {
  const itemsPerSecond = median(runs);
  return { itemsPerSecond, messagesPerSecond: itemsPerSecond / args.rows, runs };
}

/** Seconds one run of `messages` takes. */
async function timed(run: (messages: number) => Promise<void>, messages: number): Promise<number> {
  const start = process.hrtime.bigint();
  await run(messages);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const warmUpMessages = (messages: number): number => Math.max(1, Math.ceil(messages / 2));

/**
 * `repeats` rounds in which each hop runs once (who goes first alternates); items/s per hop. `open` opens the
 * hops; with `fresh` every round opens (and afterwards closes) its own, so that no one process, with whatever
 * state it fell into, decides every round of its side; otherwise they are opened once. Freshly opened hops
 * are warmed up, untimed. `between` runs after every run, untimed (emptying what the broker keeps of consumed
 * messages).
 */
async function measureHops(open: () => Promise<Hop[]>, fresh: boolean, between: () => Promise<void>): Promise<Rate[]> {
  let hops: Hop[] = [];
  const runs: number[][] = [];
  try {
    for (let r = 0; r < args.repeats; r++) {
      if (r === 0 || fresh) {
        for (const hop of hops.splice(0)) await hop.close();
        hops = await open();
        // A fresh process gets a whole run's worth of warm-up: its JIT starts from nothing.
        for (const hop of hops) await hop.run(fresh ? args.messages : warmUpMessages(args.messages));
        await between();
      }
      for (let j = 0; j < hops.length; j++) {
        const i = (j + r) % hops.length;
        const seconds = await timed((n) => hops[i]!.run(n), args.messages);
        (runs[i] ??= []).push((args.messages * args.rows) / seconds);
        await between();
      }
    }
  } finally {
    for (const hop of hops.splice(0)) await hop.close().catch(() => undefined);
  }
  return runs.map(rate);
}

async function measureBroker(broker: Broker): Promise<BrokerResult> {
  let server: string;
  try {
    server = await serverVersion(broker);
  } catch (error) {
    return { broker, server: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  }
  const prefix = uniqueName();
  const amqpNames = pipelineAmqpNames(prefix);
  for (const name of Object.values(SIDE_NAMES)) {
    amqpNames.exchanges.push(`${prefix}.${name}`);
    amqpNames.queues.push(`${prefix}.${name}.g`);
  }
  const shared = broker === 'memory' ? new MemoryTransport() : undefined;
  try {
    const open = async (): Promise<Hop[]> => {
      if (broker === 'memory')
        return [
          await openSide(broker, 'sdk', prefix, settings, shared),
          await openSide(broker, 'transport', prefix, settings, shared),
        ];
      // Each side in a process of its own, started together.
      return Promise.all(SIDES.map((side) => spawnSide(broker, side, prefix, settings)));
    };
    const measured = await measureHops(open, broker !== 'memory', () => trimConsumed(broker, prefix));
    const [sdk, sdkTransport, raw, rawEnvelope] = measured as [Rate, Rate, Rate | undefined, Rate | undefined];
    await shared?.close();
    const hop = {
      sdk,
      sdkTransport,
      ...(raw === undefined || rawEnvelope === undefined
        ? {}
        : {
            raw,
            rawEnvelope,
            ratio: median(paired(sdk, raw)),
            ratioRange: [Math.min(...paired(sdk, raw)), Math.max(...paired(sdk, raw))] as const,
            ratioTransport: median(paired(sdkTransport, raw)),
            ratioEnvelopeBytes: median(paired(rawEnvelope, raw)),
          }),
    };
    log(
      `  ${broker}: one hop SDK ${fmt(sdk.itemsPerSecond)} items/s, SDK transport only ${fmt(sdkTransport.itemsPerSecond)} items/s` +
        `${raw === undefined ? '' : `, raw ${fmt(raw.itemsPerSecond)} items/s`}`,
    );
    if (!args.pipeline) return { broker, server, ...hop };
    const pipeline = await startPipeline(broker, prefix, { ...settings });
    try {
      await pipeline.run(warmUpMessages(args.pipelineMessages));
      await trimConsumed(broker, prefix);
      const runs: number[] = [];
      for (let r = 0; r < args.repeats; r++) {
        const seconds = await timed((n) => pipeline.run(n), args.pipelineMessages);
        runs.push((args.pipelineMessages * args.rows) / seconds);
        await trimConsumed(broker, prefix);
      }
      const piped = rate(runs);
      log(`  ${broker}: three-stage pipeline ${fmt(piped.itemsPerSecond)} items/s (${pipeline.where})`);
      return {
        broker,
        server,
        ...hop,
        pipeline: { ...piped, where: pipeline.where, ratioToHop: piped.itemsPerSecond / sdk.itemsPerSecond },
      };
    } finally {
      await pipeline.close();
    }
  } catch (error) {
    return { broker, server, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  } finally {
    await shared?.close().catch(() => undefined);
    await cleanUp(broker, prefix, amqpNames).catch((error: unknown) =>
      log(`  ${broker}: clean-up of ${prefix} failed: ${String(error)}`),
    );
  }
}

const cpuModel = cpus()[0]?.model ?? 'unknown';
const machine = {
  cpuModel,
  nproc: availableParallelism(),
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
log(
  `machine: ${machine.cpuModel}, nproc ${machine.nproc}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}`,
);
log(
  `message: ${args.rows} rows × ${args.width} float32 (${fmt(args.rows * args.width * 4)} bytes of features); prefetch ${args.prefetch}, ` +
    `publish window ${args.window}; ${fmt(args.messages)} messages per run, median of ${args.repeats} after a warm-up`,
);
log('');

const results: BrokerResult[] = [];
for (const broker of args.brokers) results.push(await measureBroker(broker));

const pad = (text: string, width: number): string => text.padStart(width);
log('');
log(
  'one hop (publish → consumer group → ack): items/s (messages/s), median; × = median of the per-round ratios to the raw client',
);
log(
  'broker  server               raw client           raw, SDK frame bytes     SDK transport only       SDK (codec + transport)  SDK/raw (rounds)',
);
const cell = (rate: Rate | undefined, ratio?: number): string =>
  (rate === undefined
    ? '—'
    : `${fmt(rate.itemsPerSecond)} (${fmt(rate.messagesPerSecond)})${ratio === undefined ? '' : ` ${ratio.toFixed(2)}×`}`
  ).padEnd(25);
for (const r of results) {
  if (r.error !== undefined && r.sdk === undefined) {
    log(`${r.broker.padEnd(8)}${r.server.padEnd(21)}failed: ${r.error.split('\n')[0]}`);
    continue;
  }
  log(
    `${r.broker.padEnd(8)}${r.server.padEnd(21)}${cell(r.raw).slice(0, 21)}${cell(r.rawEnvelope, r.ratioEnvelopeBytes)}` +
      `${cell(r.sdkTransport, r.ratioTransport)}${cell(r.sdk)}` +
      `${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)} (${r.ratioRange?.map((x) => x.toFixed(2)).join('–') ?? ''})`}`,
  );
}
if (args.pipeline) {
  log('');
  log('three-stage pipeline (source → A → B → sink), median:');
  log('broker  where                 msg/s     items/s  ÷ one-hop SDK');
  for (const r of results) {
    const p = r.pipeline;
    if (p === undefined) {
      log(`${r.broker.padEnd(8)}failed: ${(r.error ?? 'not run').split('\n')[0]}`);
      continue;
    }
    log(
      `${r.broker.padEnd(8)}${p.where.padEnd(18)}${pad(fmt(p.messagesPerSecond), 9)}${pad(fmt(p.itemsPerSecond), 12)}${pad(p.ratioToHop.toFixed(2), 15)}`,
    );
  }
}
for (const r of results) if (r.error !== undefined) log(`\n${r.broker} error: ${r.error}`);

const costs = codecCostsInFreshProcess(args.rows, args.width);
log('');
log('CPU per message, measured in a fresh process, µs:');
for (const c of costs) log(`${pad(c.microseconds.toFixed(1), 8)}  ${c.step}`);

const ratios = results.filter((r) => r.ratio !== undefined);
const met = ratios.every((r) => r.ratio! >= TARGET);
log('');
log(
  `target SDK/raw ≥ ${TARGET}: ` +
    (ratios.length === 0
      ? 'not measured'
      : `${met ? 'met' : 'NOT met'} (${ratios.map((r) => `${r.broker} ${r.ratio!.toFixed(2)}`).join(', ')})`),
);
if (args.json)
  console.log(JSON.stringify({ machine, args, results, codecCosts: costs, target: { ratio: TARGET, met } }, null, 2));
if (results.some((r) => r.error !== undefined)) process.exitCode = 1;
