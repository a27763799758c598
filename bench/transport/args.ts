/** The brokers the bench knows; `memory` is the in-process reference. */
export const BROKERS = ['memory', 'amqp', 'nats', 'redis'] as const;

/** One of {@link BROKERS}. */
export type Broker = (typeof BROKERS)[number];

/** Command-line options of the transport bench. */
export interface BenchArgs {
  /** Brokers to measure, in order (default all four). */
  readonly brokers: readonly Broker[];
  /** Messages per timed repetition (default 2000). */
  readonly messages: number;
  /** Timed repetitions per side; the median is reported (default 5). */
  readonly repeats: number;
  /** Rows per message (default 32). */
  readonly rows: number;
  /** float32 features per row (default 64). */
  readonly width: number;
  /** Unsettled deliveries per subscriber: SDK `prefetch`, AMQP prefetch, JetStream max ack pending, XREADGROUP COUNT (default 64). */
  readonly prefetch: number;
  /** Publishes awaiting their broker confirmation at once (default 64). */
  readonly window: number;
  /** Whether to run the three-stage pipeline (default true; `--no-pipeline`). */
  readonly pipeline: boolean;
  /** Messages per pipeline repetition (default: `messages`). */
  readonly pipelineMessages: number;
  /** Longest wait for one repetition, in seconds (default 120). */
  readonly timeoutSeconds: number;
  readonly json: boolean;
}

const USAGE =
  'usage: tsx bench/transport/index.ts [--brokers memory,amqp,nats,redis] [--messages 4000] [--repeats 9] [--rows 32] ' +
  '[--width 64] [--prefetch 64] [--window 64] [--no-pipeline] [--pipeline-messages N] [--timeout 120] [--json]';

/** Parses `argv` (without node and the script); exits with the usage line on a bad flag. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let brokers: Broker[] = [...BROKERS];
  let messages = 4000;
  let repeats = 9;
  let rows = 32;
  let width = 64;
  let prefetch = 64;
  let window = 64;
  let pipeline = true;
  let pipelineMessages: number | undefined;
  let timeoutSeconds = 120;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json') json = true;
    else if (flag === '--no-pipeline') pipeline = false;
    else if (flag === '--brokers') brokers = value().split(',').map(broker);
    else if (flag === '--messages') messages = count(value(), flag);
    else if (flag === '--repeats') repeats = count(value(), flag);
    else if (flag === '--rows') rows = count(value(), flag);
    else if (flag === '--width') width = count(value(), flag);
    else if (flag === '--prefetch') prefetch = count(value(), flag);
    else if (flag === '--window') window = count(value(), flag);
    else if (flag === '--pipeline-messages') pipelineMessages = count(value(), flag);
    else if (flag === '--timeout') timeoutSeconds = count(value(), flag);
    else if (flag === '--help' || flag === '-h') fail('');
    else fail(`unknown flag ${arg}`);
  }
  if (brokers.length === 0) fail('--brokers needs at least one broker');
  return {
    brokers,
    messages,
    repeats,
    rows,
    width,
    prefetch,
    window,
    pipeline,
    pipelineMessages: pipelineMessages ?? messages,
    timeoutSeconds,
    json,
  };
}

function broker(text: string): Broker {
  const name = text.trim();
  if (!(BROKERS as readonly string[]).includes(name))
    fail(`--brokers: unknown broker ${name} (known: ${BROKERS.join(', ')})`);
  return name as Broker;
}

function count(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`${flag} needs a positive integer, got ${text}`);
  return n;
}

function fail(message: string): never {
  if (message !== '') console.error(message);
  console.error(USAGE);
  process.exit(message === '' ? 0 : 2);
}
