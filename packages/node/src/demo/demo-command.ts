import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isDissonanceError } from '@dissonance/core';
import { DEMO_DATASETS } from './load-dataset.js';
import { summaryText } from './format-tables.js';
import { renderReport } from './render-report.js';
import { runDemo, type DemoOptions } from './run-demo.js';
import { STRATEGIES } from './strategies.js';

/** Where the demo command writes, and whether stderr is a terminal (for the progress bar). */
export interface DemoIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTty?: boolean;
}

/** The text of `dissonance demo --help`. */
export const DEMO_HELP = `Usage: dissonance demo [options]

Runs the self-correcting loop on a real data set and compares it with baselines on the same label budget.

Options:
  --dataset NAME        ${DEMO_DATASETS.join(' | ')} (default digits)
  --budget FRACTION     oracle labels as a share of the stream (default 0.15)
  --seeds N             seeds 1…N (default 5)
  --strategies A,B      strategies to run besides the default (${STRATEGIES.map((s) => s.name).join(', ')})
  --inject-regression   train one candidate on flipped labels; the validator must roll it back
  --json                print the result as JSON on stdout
  --report DIR          write DIR/report.html and DIR/result.json
  --dir DIR             keep registries and stores under DIR (default: a temporary directory)
  --data DIR            directory of <dataset>.csv (default: the repository's examples/data)
  -h, --help            print this help
`;

interface Parsed {
  readonly options: DemoOptions;
  readonly json: boolean;
  readonly report?: string;
  readonly help: boolean;
}

/** Parses the demo's arguments; returns an error message for a bad command line. */
export function parseDemoArgs(argv: readonly string[]): Parsed | string {
  const options: { -readonly [K in keyof DemoOptions]: DemoOptions[K] } = {};
  let json = false;
  let report: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => {
      const v = argv[i + 1];
      i++;
      return v === undefined || v.startsWith('--') ? undefined : v;
    };
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '--json') json = true;
    else if (arg === '--inject-regression') options.injectRegression = true;
    else if (arg === '--dataset' || arg === '--dir' || arg === '--data' || arg === '--report' || arg === '--strategies') {
      const v = value();
      if (v === undefined) return `${arg} needs a value`;
      if (arg === '--dataset') {
        if (!DEMO_DATASETS.includes(v)) return `unknown dataset "${v}" (${DEMO_DATASETS.join(', ')})`;
        options.dataset = v;
      } else if (arg === '--dir') options.dir = v;
      else if (arg === '--data') options.dataDir = v;
      else if (arg === '--report') report = v;
      else {
        const names = v.split(',').filter((s) => s !== '');
        const unknown = names.find((n) => !STRATEGIES.some((s) => s.name === n));
        if (unknown !== undefined) return `unknown strategy "${unknown}"`;
        options.strategies = names;
      }
    } else if (arg === '--budget' || arg === '--seeds') {
      const v = value();
      const n = v === undefined ? Number.NaN : Number(v);
      if (arg === '--budget') {
        if (!(n > 0 && n <= 1)) return `--budget must be a number in (0, 1], got ${v ?? 'nothing'}`;
        options.budget = n;
      } else {
        if (!(Number.isSafeInteger(n) && n >= 1 && n <= 100)) return `--seeds must be an integer in [1, 100], got ${v ?? 'nothing'}`;
        options.seeds = n;
      }
    } else return `unknown demo option "${arg}"`;
  }
  return { options, json, help, ...(report === undefined ? {} : { report }) };
}

/**
 * Runs `dissonance demo`: progress on stderr (a bar on a terminal, plain lines otherwise), then the tables
 * on stdout, or the {@link DemoResult} as JSON with `--json`; `--report DIR` also writes the HTML report.
 * Resolves to the exit code: 0, 2 for a bad command line, 1 when the run failed.
 */
export async function runDemoCommand(argv: readonly string[], io: DemoIo): Promise<number> {
  const parsed = parseDemoArgs(argv);
  if (typeof parsed === 'string') {
    io.err(`dissonance demo: ${parsed}\nRun "dissonance demo --help" for usage.\n`);
    return 2;
  }
  if (parsed.help) {
    io.out(DEMO_HELP);
    return 0;
  }
  let lastLine = -1;
  const onProgress = (done: number, total: number, what: string): void => {
    if (io.isTty === true) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((done / total) * 100)).padStart(3)}% ${what.padEnd(28)}`);
      if (done === total) io.err('\n');
    } else {
      const step = Math.floor((done / total) * 10);
      if (step !== lastLine) {
        lastLine = step;
        io.err(`demo: ${Math.round((done / total) * 100)}% (${what})\n`);
      }
    }
  };
  try {
    const result = await runDemo({ ...parsed.options, onProgress, ...workerOptions() });
    if (parsed.report !== undefined) {
      mkdirSync(parsed.report, { recursive: true });
      writeFileSync(join(parsed.report, 'report.html'), renderReport(result));
      writeFileSync(join(parsed.report, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
      io.err(`demo: wrote ${join(parsed.report, 'report.html')} and result.json\n`);
    }
    io.out(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : summaryText(result));
    return 0;
  } catch (error) {
    const code = isDissonanceError(error) ? `${error.code}: ` : '';
    io.err(`dissonance demo: ${code}${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * Seeds run in parallel child processes of this CLI, one per core (at most 2 by default;
 * `DISSONANCE_DEMO_WORKERS` overrides). Only when this process is the CLI itself, so that it can start
 * copies of itself.
 */
function workerOptions(): { workers?: number; workerCommand?: readonly string[] } {
  const script = process.argv[1];
  if (script === undefined || !/(cli\.[cm]?[jt]s|dissonance)$/.test(script)) return {};
  const fromEnv = Number(process.env.DISSONANCE_DEMO_WORKERS);
  const workers = Number.isSafeInteger(fromEnv) && fromEnv >= 1 ? fromEnv : Math.min(2, availableParallelism());
  return { workers, workerCommand: [process.execPath, ...process.execArgv, script] };
}
