import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDissonanceError } from '@dissonance/core';
import type { CliIo } from '../../run-cli.js';
import type { Stage } from '@dissonance/node';
import { BROKER_KINDS, type BrokerKind } from './broker.js';
import { runDemoStage } from './stage-main.js';
import type { StageJob } from './stage-job.js';
import { runDistributedDemo } from './run-distributed.js';

/** Help of `dissonance demo-distributed`. */
export const DISTRIBUTED_HELP = `Usage: dissonance demo-distributed [options]

Runs the demo's default strategy on one seed with generate, detect + reconcile and retrain in three worker
processes over a real broker, then the same seed in one process, and prints both final golden accuracies.

Options:
  --broker amqp|nats|redis  broker carrying the stages' messages (default amqp)
  --url URL                 broker URL (default: the broker's local address)
  --dataset NAME            digits (default) or breast_cancer
  --seed N                  seed of the split, models and oracle (default 1)
  --dir DIR                 run folder (default: a new folder under the system temp dir)
  --no-compare              skip the in-process run
  --json                    print the result as JSON
  -h, --help                print this help
`;

/** `dissonance demo-distributed …`: resolves to the exit code. */
export async function runDistributedCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let broker: BrokerKind = 'amqp';
  let url: string | undefined;
  let dataset = 'digits';
  let seed = 1;
  let dir: string | undefined;
  let compare = true;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (arg === '-h' || arg === '--help') {
      io.out(DISTRIBUTED_HELP);
      return 0;
    } else if (arg === '--broker') {
      const v = value();
      if (!BROKER_KINDS.includes(v as BrokerKind))
        return usage(io, `--broker must be one of ${BROKER_KINDS.join(', ')}, got ${v ?? 'nothing'}`);
      broker = v as BrokerKind;
    } else if (arg === '--url') url = value();
    else if (arg === '--dataset') dataset = value() ?? dataset;
    else if (arg === '--seed') {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 1) return usage(io, '--seed must be a positive integer');
      seed = n;
    } else if (arg === '--dir') dir = value();
    else if (arg === '--no-compare') compare = false;
    else if (arg === '--json') json = true;
    else return usage(io, `unknown option "${arg}"`);
  }
  const script = process.argv[1];
  if (script === undefined) return usage(io, 'cannot find the CLI script to start the stage processes');
  try {
    const result = await runDistributedDemo({
      broker,
      ...(url === undefined ? {} : { url }),
      dataset,
      seed,
      dir: dir ?? join(tmpdir(), `dissonance-distributed-${process.pid}-${Date.now()}`),
      command: [process.execPath, ...process.execArgv, script],
      compare,
    });
    if (json) io.out(`${JSON.stringify(result)}\n`);
    else {
      io.out(
        `${result.broker}: ${result.items} items in ${result.batches} batches through 3 processes, ` +
          `${result.itemsPerSecond.toFixed(0)} items/s (lockstep)\n` +
          `golden accuracy: seed-set ${pct(result.seedOnly)}, distributed final ${pct(result.final)}` +
          (result.inProcessFinal === undefined ? '' : `, in-process final ${pct(result.inProcessFinal)}`) +
          `\nretrains: ${result.retrains.map((r) => `${r.candidate} ${r.decision}`).join(', ')}\n`,
      );
    }
    return result.inProcessFinal === undefined || result.inProcessFinal === result.final ? 0 : 1;
  } catch (error) {
    io.err(
      `dissonance demo-distributed: ${isDissonanceError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

/** Internal `dissonance demo-stage <stage> <job JSON>`: one stage process of a distributed run. */
export async function runDemoStageCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [stage, text] = argv;
  if ((stage !== 'generate' && stage !== 'detect' && stage !== 'retrain') || text === undefined) {
    return usage(io, 'usage: dissonance demo-stage generate|detect|retrain JOB_JSON');
  }
  try {
    await runDemoStage(stage as Stage, JSON.parse(text) as StageJob);
    return 0;
  } catch (error) {
    io.err(
      `dissonance demo-stage ${stage}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

function usage(io: CliIo, message: string): number {
  io.err(`dissonance demo-distributed: ${message}\n`);
  return 2;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
