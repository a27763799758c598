import { STRATEGIES, STRATEGIES_HELP } from '../demo/strategies.js';

/** Parsed `dissonance evaluate` arguments. */
export interface EvaluateArgs {
  readonly data: string;
  readonly label: string;
  readonly id?: string;
  readonly drop?: readonly string[];
  readonly budget?: number;
  readonly seeds?: number;
  readonly strategies?: readonly string[];
  readonly proposer?: string;
  readonly report?: string;
  readonly dir?: string;
  readonly json: boolean;
  readonly impute?: 'mean';
  readonly categorical?: 'one-hot';
  readonly help: boolean;
}

/** The text of `dissonance evaluate --help`. */
export const EVALUATE_HELP = `Usage: dissonance evaluate --data FILE.csv --label COLUMN [options]

Runs the demo's protocol on any CSV with a header row: per seed a stratified split (golden 20 % never trained
on, seed set 5 %, the rest streamed in batches of 32), then every strategy on the same stream, budget,
trainer and critics. Prints the final accuracies, the paired difference against random and label savings.

Options:
  --data FILE           the CSV (header row; at most 256 MiB)
  --label COLUMN        the class column (integers)
  --id COLUMN           an id column (unique; not a feature)
  --drop A,B            columns to leave out
  --budget FRACTION     oracle labels as a share of the stream (default 0.15)
  --seeds N             seeds 1…N (default 5)
  --strategies A,B      ${STRATEGIES_HELP}
  --proposer FILE.onnx  start from your ONNX classifier (unscaled features) instead of a fresh MLP
  --impute mean         fill empty, NaN and Inf cells with the column mean (default: refuse them)
  --categorical one-hot expand string columns (at most 32 values each; default: refuse them)
  --report DIR          write DIR/report.html and DIR/result.json
  --dir DIR             keep registries and stores under DIR (default: a temporary directory)
  --json                print the result as JSON on stdout
  -h, --help            print this help

Exit codes: 0 done, 1 the run failed, 2 bad command line or bad input (one line on stderr; nothing written).
`;

/** Parses the arguments; a string is the error message. */
export function parseEvaluateArgs(argv: readonly string[]): EvaluateArgs | string {
  const out: { -readonly [K in keyof EvaluateArgs]?: EvaluateArgs[K] } = { json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => {
      const v = argv[++i];
      return v === undefined || v.startsWith('--') ? undefined : v;
    };
    if (arg === '-h' || arg === '--help') out.help = true;
    else if (arg === '--json') out.json = true;
    else if (
      [
        '--data',
        '--label',
        '--id',
        '--drop',
        '--proposer',
        '--report',
        '--dir',
        '--strategies',
        '--impute',
        '--categorical',
        '--budget',
        '--seeds',
      ].includes(arg)
    ) {
      const v = value();
      if (v === undefined) return `${arg} needs a value`;
      if (arg === '--data') out.data = v;
      else if (arg === '--label') out.label = v;
      else if (arg === '--id') out.id = v;
      else if (arg === '--drop') out.drop = v.split(',').filter((s) => s !== '');
      else if (arg === '--proposer') out.proposer = v;
      else if (arg === '--report') out.report = v;
      else if (arg === '--dir') out.dir = v;
      else if (arg === '--impute') {
        if (v !== 'mean') return `--impute supports "mean" only, got "${v}"`;
        out.impute = 'mean';
      } else if (arg === '--categorical') {
        if (v !== 'one-hot') return `--categorical supports "one-hot" only, got "${v}"`;
        out.categorical = 'one-hot';
      } else if (arg === '--strategies') {
        const names = v.split(',').filter((s) => s !== '');
        const unknown = names.find((n) => !STRATEGIES.some((s) => s.name === n));
        if (unknown !== undefined) return `unknown strategy "${unknown}" (${STRATEGIES.map((s) => s.name).join(', ')})`;
        out.strategies = names;
      } else if (arg === '--budget') {
        const n = Number(v);
        if (!(n > 0 && n <= 1)) return `--budget must be a number in (0, 1], got ${v}`;
        out.budget = n;
      } else {
        const n = Number(v);
        if (!(Number.isSafeInteger(n) && n >= 1 && n <= 100)) return `--seeds must be an integer in [1, 100], got ${v}`;
        out.seeds = n;
      }
    } else return `unknown evaluate option "${arg}"`;
  }
  if (out.help === true)
    return { ...out, data: out.data ?? '', label: out.label ?? '', json: out.json ?? false, help: true };
  if (out.data === undefined) return '--data FILE.csv is required';
  if (out.label === undefined) return '--label COLUMN is required';
  return out as EvaluateArgs;
}
