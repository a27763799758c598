import type { ExecutionProviderOption } from '../../packages/node/src/onnx/index.js';

/** Command-line options of the inference bench. */
export interface BenchArgs {
  readonly provider: ExecutionProviderOption;
  readonly json: boolean;
  /** Seconds per timed trial (default 1). */
  readonly seconds: number;
  /** Batch sizes to time (default 1, 64, 1024). */
  readonly batches: readonly number[];
  /** onnxruntime intra-op threads for every session (default: onnxruntime's). */
  readonly threads: number | undefined;
}

const USAGE = 'usage: tsx bench/inference/index.ts [--provider cpu|cuda|auto] [--json] [--seconds S] [--batches 1,64,1024] [--threads N]';

/** Parses `argv` (without node and the script); exits with the usage line on a bad flag. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let provider: ExecutionProviderOption = 'auto';
  let json = false;
  let seconds = 1;
  let batches: number[] = [1, 64, 1024];
  let threads: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json') json = true;
    else if (flag === '--provider') {
      const v = value();
      if (v !== 'cpu' && v !== 'cuda' && v !== 'auto') fail(`--provider must be cpu, cuda or auto, got ${v}`);
      provider = v;
    } else if (flag === '--seconds') seconds = positive(value(), flag);
    else if (flag === '--threads') threads = positive(value(), flag);
    else if (flag === '--batches') batches = value().split(',').map((b) => positive(b, flag));
    else if (flag === '--help' || flag === '-h') fail('');
    else fail(`unknown flag ${flag}`);
  }
  return { provider, json, seconds, batches, threads };
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
