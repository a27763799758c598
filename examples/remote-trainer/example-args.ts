import type { ExampleModel } from './run-example.js';
import { VIAS, type Via } from './trainer-for-via.js';

/** The command line of `npm run example:remote-trainer`. */
export interface ExampleArgs {
  readonly via: Via;
  readonly model: ExampleModel;
  readonly seeds: number;
  readonly json: boolean;
  readonly streamRows?: number;
  readonly help: boolean;
}

/** `--help`. */
export const EXAMPLE_HELP = `npm run example:remote-trainer -- [--via http|amqp|nats|redis] [--model cnn|sklearn] [--seeds N] [--stream-rows N] [--json]

Runs digits under the demo's protocol with the proposer retrained by a Python worker (dissonance-trainer,
started here) through remoteTrainer, and the built-in MLP beside it on the same seeds at equal labels.
  --via          how jobs travel to the worker: http (default), or the local RabbitMQ, NATS or Redis
                 (AMQP_URL, NATS_URL, REDIS_URL override their addresses)
  --model        cnn: a PyTorch CNN on [N, 1, 8, 8]; sklearn: scikit-learn gradient boosting (default cnn)
  --seeds N      seeds 1..N (default 3)
  --stream-rows N  stream only the first N rows of each seed's stream (quick runs; default all)
  --json         print the result as JSON (final.accuracy, builtin.accuracy, promotions, rollbacks, jobs, …)
`;

const positive = (flag: string, text: string | undefined): number | string => {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : `${flag} takes an integer ≥ 1, got ${JSON.stringify(text ?? '')}`;
};

/** Parses the arguments; a string is the problem with them. */
export function parseExampleArgs(argv: readonly string[]): ExampleArgs | string {
  let via: Via = 'http';
  let model: ExampleModel = 'cnn';
  let seeds = 3;
  let json = false;
  let help = false;
  let streamRows: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--via') {
      const v = value();
      if (!(VIAS as readonly string[]).includes(v ?? ''))
        return `--via takes ${VIAS.join('|')}, got ${JSON.stringify(v ?? '')}`;
      via = v as Via;
    } else if (arg === '--model') {
      const v = value();
      if (v !== 'cnn' && v !== 'sklearn') return `--model takes cnn|sklearn, got ${JSON.stringify(v ?? '')}`;
      model = v;
    } else if (arg === '--seeds') {
      const n = positive('--seeds', value());
      if (typeof n === 'string') return n;
      seeds = n;
    } else if (arg === '--stream-rows') {
      const n = positive('--stream-rows', value());
      if (typeof n === 'string') return n;
      streamRows = n;
    } else return `unknown argument ${JSON.stringify(arg)}`;
  }
  return { via, model, seeds, json, help, ...(streamRows === undefined ? {} : { streamRows }) };
}
