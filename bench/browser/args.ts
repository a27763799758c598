/** Command-line options of the browser bench. */
export interface BrowserBenchArgs {
  readonly json: boolean;
  /** Seconds per timed trial (default 1). */
  readonly seconds: number;
  /** Batch sizes to time (default 1, 1024). */
  readonly batches: readonly number[];
  /** The Chromium (or Chrome) binary (default /usr/bin/chromium, or $DISSONANCE_CHROMIUM). */
  readonly chromiumPath: string | undefined;
  /** Extra Chromium flags, e.g. `--use-angle=vulkan` on a machine with a GPU. */
  readonly flags: readonly string[];
  /** Leave out the default SwiftShader flags (for a real GPU). */
  readonly realGpu: boolean;
  /** Run headed instead of headless. */
  readonly headed: boolean;
}

const USAGE =
  'usage: tsx bench/browser/index.ts [--json] [--seconds S] [--batches 1,1024] [--chromium-path PATH] [--flags "--a --b"] [--real-gpu] [--headed]';

/** Parses `argv` (without node and the script); exits with the usage line on a bad flag. */
export function parseArgs(argv: readonly string[]): BrowserBenchArgs {
  let json = false;
  let seconds = 1;
  let batches: number[] = [1, 1024];
  let chromiumPath: string | undefined;
  const flags: string[] = [];
  let realGpu = false;
  let headed = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--json') json = true;
    else if (flag === '--seconds') seconds = positive(value(), flag);
    else if (flag === '--batches')
      batches = value()
        .split(',')
        .map((b) => positive(b, flag));
    else if (flag === '--chromium-path') chromiumPath = value();
    else if (flag === '--flags')
      flags.push(
        ...value()
          .split(/\s+/)
          .filter((f) => f !== ''),
      );
    else if (flag === '--real-gpu') realGpu = true;
    else if (flag === '--headed') headed = true;
    else if (flag === '--help' || flag === '-h') fail('');
    else fail(`unknown flag ${flag}`);
  }
  return { json, seconds, batches, chromiumPath, flags, realGpu, headed };
}

function positive(text: string, flag: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) fail(`${flag} needs a positive number, got ${text}`);
  return n;
}

function fail(message: string): never {
  if (message !== '') process.stderr.write(`${message}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(message === '' ? 0 : 2);
}
