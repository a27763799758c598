import type { ExecutionProviderOption } from '../../packages/node/src/onnx/index.js';
import type { TableModelName } from './large-model.js';

/** Command-line options of the inference bench. */
export interface BenchArgs {
  readonly provider: ExecutionProviderOption;
  readonly json: boolean;
  /** Seconds per timed trial (default 1). */
  readonly seconds: number;
  /** Batch sizes to time (default 1, 64, 1024). */
  readonly batches: readonly number[];
  /**
   * onnxruntime intra-op threads for every session (default: onnxruntime's); `auto`: the SDK's models choose by
   * measurement (`intraOpNumThreads: 'auto'`) and the raw sessions use what the proposer chose.
   */
  readonly threads: number | 'auto' | undefined;
  /** onnxruntime's spinning worker threads for every session, SDK and raw (default off, the SDK's default). */
  readonly allowSpinning: boolean;
  /** Batch sizes of the provider table (default 1, 64, 1024, 8192). */
  readonly tableBatches: readonly number[];
  /** Models of the provider table (default small, large). */
  readonly models: readonly TableModelName[];
  /** Skip a provider-table cell when one call takes longer (seconds, default 10). */
  readonly cellLimit: number;
  /** `providers`: only the provider table; `all` (default): the table, then every other section. */
  readonly only: 'all' | 'providers';
}

const USAGE =
  'usage: tsx bench/inference/index.ts [--provider cpu|cuda|webgpu|auto] [--json] [--seconds S] [--batches 1,64,1024] [--threads N|auto]\n' +
  '       [--table-batches 1,64,1024,8192] [--models small,large] [--cell-limit S] [--only providers] [--allow-spinning]';

/** Parses `argv` (without node and the script); exits with the usage line on a bad flag. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let provider: ExecutionProviderOption = 'auto';
  let json = false;
  let seconds = 1;
  let batches: number[] = [1, 64, 1024];
  let threads: number | 'auto' | undefined;
  let tableBatches: number[] = [1, 64, 1024, 8192];
  let models: TableModelName[] = ['small', 'large'];
  let cellLimit = 10;
  let only: 'all' | 'providers' = 'all';
  let allowSpinning = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json') json = true;
    else if (flag === '--allow-spinning') allowSpinning = true;
    else if (flag === '--provider') {
      const v = value();
      if (v !== 'cpu' && v !== 'cuda' && v !== 'webgpu' && v !== 'auto')
        fail(`--provider must be cpu, cuda, webgpu or auto, got ${v}`);
      provider = v;
    } else if (flag === '--seconds') seconds = positive(value(), flag);
    else if (flag === '--threads') {
      const v = value();
      threads = v === 'auto' ? 'auto' : positive(v, flag);
    } else if (flag === '--batches')
      batches = value()
        .split(',')
        .map((b) => positive(b, flag));
    else if (flag === '--table-batches')
      tableBatches = value()
        .split(',')
        .map((b) => positive(b, flag));
    else if (flag === '--cell-limit') cellLimit = positive(value(), flag);
    else if (flag === '--models') {
      models = value()
        .split(',')
        .map((m) => (m === 'small' || m === 'large' ? m : fail(`--models takes small and/or large, got ${m}`)));
    } else if (flag === '--only') {
      const v = value();
      if (v !== 'providers' && v !== 'all') fail(`--only must be providers or all, got ${v}`);
      only = v;
    } else if (flag === '--help' || flag === '-h') fail('');
    else fail(`unknown flag ${flag}`);
  }
  return { provider, json, seconds, batches, threads, allowSpinning, tableBatches, models, cellLimit, only };
}

function positive(text: string, flag: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) fail(`${flag} needs a positive number, got ${text}`);
  return n;
}

function fail(message: string): never {
  if (message !== '') console.error(message);
  console.error(USAGE);
  process.exit(message === '' ? 0 : 2);
}

/** What {@link sideBenchArgs} parses. */
export interface SideBenchArgs {
  /** `--batches` (default 64,1024). */
  readonly batches: readonly number[];
  /** `--seconds` per trial. */
  readonly seconds: number;
  readonly json: boolean;
  /** The value after another flag, if given. */
  option(name: string): string | undefined;
}

/**
 * The flags the side benches (two-models, fresh-rows, engine-stages) share: `--batches`, `--seconds`, `--json`.
 * Exits 2 with `usage` when a batch size is not a positive integer or the seconds are not positive.
 */
export function sideBenchArgs(argv: readonly string[], defaultSeconds: number, usage: string): SideBenchArgs {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1];
  };
  const batches = (option('--batches') ?? '64,1024').split(',').map(Number);
  const seconds = Number(option('--seconds') ?? defaultSeconds);
  if (batches.some((b) => !Number.isInteger(b) || b < 1) || !(seconds > 0)) {
    console.error(usage);
    process.exit(2);
  }
  return { batches, seconds, json: argv.includes('--json'), option };
}
