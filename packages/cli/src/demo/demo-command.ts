import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_DATASETS } from './load-dataset.js';
import { summaryText } from './format-tables.js';
import { renderReport } from './render-report.js';
import type { RegistryChoice } from '../registry-factory/index.js';
import { runDemo, type DemoOptions } from './run-demo.js';
import { STRATEGIES, STRATEGIES_HELP } from './strategies.js';
import { commandErrorLine, seedWorkerOptions } from './seed-worker-options.js';

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
  --strategies A,B      ${STRATEGIES_HELP}
  --inject-regression   train one candidate on flipped labels; the validator must roll it back
  --json                print the result as JSON on stdout
  --report DIR          write DIR/report.html and DIR/result.json
  --dir DIR             keep registries and stores under DIR (default: a temporary directory)
  --data DIR            directory of <dataset>.csv (default: the data sets shipped in @dissonance/cli)
  --registry KIND       file (default) | mlflow (needs the optional package @dissonance/adapter-mlflow)
  --mlflow-uri URL      MLflow tracking server (default: $MLFLOW_TRACKING_URI)
  --mlflow-experiment N experiment of the runs (default dissonance-demo)
  --mlflow-model-prefix P
                        registered models are P<dataset>-<strategy>-seed<n> (default dissonance-demo-)
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
  const mlflow: { registry?: string; uri?: string; experiment?: string; modelPrefix?: string } = {};
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
    else if (
      arg === '--dataset' ||
      arg === '--dir' ||
      arg === '--data' ||
      arg === '--report' ||
      arg === '--strategies'
    ) {
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
        if (!(Number.isSafeInteger(n) && n >= 1 && n <= 100))
          return `--seeds must be an integer in [1, 100], got ${v ?? 'nothing'}`;
        options.seeds = n;
      }
    } else if (
      arg === '--registry' ||
      arg === '--mlflow-uri' ||
      arg === '--mlflow-experiment' ||
      arg === '--mlflow-model-prefix'
    ) {
      const v = value();
      if (v === undefined) return `${arg} needs a value`;
      if (arg === '--registry') mlflow.registry = v;
      else if (arg === '--mlflow-uri') mlflow.uri = v;
      else if (arg === '--mlflow-experiment') mlflow.experiment = v;
      else mlflow.modelPrefix = v;
    } else return `unknown demo option "${arg}"`;
  }
  const registry = registryChoice(mlflow);
  if (typeof registry === 'string') return registry;
  if (registry !== undefined) options.registry = registry;
  return { options, json, help, ...(report === undefined ? {} : { report }) };
}

/** `--registry` and the `--mlflow-*` options as a {@link RegistryChoice}, or the error message. */
function registryChoice(flags: {
  registry?: string;
  uri?: string;
  experiment?: string;
  modelPrefix?: string;
}): RegistryChoice | undefined | string {
  const kind = flags.registry ?? 'file';
  if (kind === 'file') {
    const given = {
      '--mlflow-uri': flags.uri,
      '--mlflow-experiment': flags.experiment,
      '--mlflow-model-prefix': flags.modelPrefix,
    };
    const stray = Object.entries(given).find(([, value]) => value !== undefined)?.[0];
    return stray === undefined ? undefined : `${stray} needs --registry mlflow`;
  }
  if (kind !== 'mlflow') return `unknown registry "${kind}" (file, mlflow)`;
  const uri = flags.uri ?? process.env.MLFLOW_TRACKING_URI;
  if (uri === undefined || uri === '') return '--registry mlflow needs --mlflow-uri URL (or MLFLOW_TRACKING_URI)';
  if (!/^https?:\/\/[^/\s]+/.test(uri)) return `--mlflow-uri must be an http(s) URL, got "${uri}"`;
  if (flags.modelPrefix !== undefined && !/^[A-Za-z0-9._-]{0,100}$/.test(flags.modelPrefix)) {
    return `--mlflow-model-prefix may hold letters, digits, ".", "_" and "-" only (at most 100), got "${flags.modelPrefix}"`;
  }
  if (flags.experiment !== undefined && flags.experiment.trim() === '') return '--mlflow-experiment must not be empty';
  return {
    kind: 'mlflow',
    uri: uri.replace(/\/+$/, ''),
    ...(flags.experiment === undefined ? {} : { experiment: flags.experiment }),
    ...(flags.modelPrefix === undefined ? {} : { modelPrefix: flags.modelPrefix }),
  };
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
      io.err(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((done / total) * 100)).padStart(3)}% ${what.padEnd(28)}`,
      );
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
    const result = await runDemo({ ...parsed.options, onProgress, ...seedWorkerOptions() });
    if (parsed.report !== undefined) {
      mkdirSync(parsed.report, { recursive: true });
      writeFileSync(join(parsed.report, 'report.html'), renderReport(result));
      writeFileSync(join(parsed.report, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
      io.err(`demo: wrote ${join(parsed.report, 'report.html')} and result.json\n`);
    }
    io.out(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : summaryText(result));
    return 0;
  } catch (error) {
    io.err(commandErrorLine('demo', error));
    return 1;
  }
}
