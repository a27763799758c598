import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readEvaluationCsv, type CsvReadOptions } from '../cli/evaluate-csv.js';
import { DissonanceError, isDissonanceError } from '@dissonance/core';
import { OnnxNodeRuntime } from '@dissonance/node';
import type { RegistryChoice } from '../registry-factory/index.js';
import { loadDataset } from './load-dataset.js';
import { DEFAULT_SETTINGS } from './loop-settings.js';
import { runSeed } from './run-seed.js';
import { STRATEGIES } from './strategies.js';
import type { StrategyRun } from './strategy-run.js';

/** What a child process is asked to run (JSON on its command line). */
interface WorkerJob {
  readonly dataset: string;
  readonly dataDir?: string;
  /** Read the data from this CSV instead of `<dataDir>/<dataset>.csv`. */
  readonly csv?: { readonly path: string; readonly options: CsvReadOptions };
  readonly budget: number;
  /** (seed, strategy) pairs this child runs. */
  readonly pairs: readonly (readonly [number, string])[];
  readonly firstSeed: number;
  readonly root: string;
  readonly injectRegression: boolean;
  readonly registry?: RegistryChoice;
}

type SeedRuns = readonly (readonly [string, StrategyRun])[];

/**
 * Runs every (seed, strategy) pair in `workers` child processes of the CLI (`command … demo-worker JOB`),
 * pairs dealt round-robin so the children finish together. Each child prints one JSON line per seed it
 * finished (some of that seed's strategies); `onSeed` gets them as they arrive. Runs are independent and
 * seeded, so the results equal an in-process run's.
 */
export async function runSeedsInChildren(
  command: readonly string[],
  seeds: readonly number[],
  workers: number,
  strategies: readonly string[],
  options: {
    dataset?: string;
    dataDir?: string;
    csv?: { readonly path: string; readonly options: CsvReadOptions };
    budget?: number;
    dir?: string;
    injectRegression?: boolean;
    registry?: RegistryChoice;
  },
  onSeed: (seed: number, runs: SeedRuns) => void,
): Promise<void> {
  const [exe, ...prefix] = command;
  if (exe === undefined) throw new DissonanceError('E_CONFIG', 'demo: empty worker command');
  const pairs = seeds.flatMap((seed) => strategies.map((name) => [seed, name] as const));
  const lists = Array.from({ length: workers }, (_, w) => pairs.filter((_, i) => i % workers === w));
  await Promise.all(
    lists.map(
      (list) =>
        new Promise<void>((resolve, reject) => {
          const job: WorkerJob = {
            dataset: options.dataset ?? 'digits',
            ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
            ...(options.csv === undefined ? {} : { csv: options.csv }),
            budget: options.budget ?? 0.15,
            pairs: list,
            firstSeed: seeds[0] ?? 1,
            root: options.dir ?? '',
            injectRegression: options.injectRegression === true,
            ...(options.registry === undefined ? {} : { registry: options.registry }),
          };
          const child = spawn(exe, [...prefix, 'demo-worker', JSON.stringify(job)], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let buffer = '';
          let stderr = '';
          child.stdout.setEncoding('utf8');
          child.stdout.on('data', (chunk: string) => {
            buffer += chunk;
            for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line.trim() === '') continue;
              const message = JSON.parse(line) as { seed: number; runs: SeedRuns };
              onSeed(message.seed, message.runs);
            }
          });
          child.stderr.setEncoding('utf8');
          child.stderr.on('data', (chunk: string) => {
            stderr = (stderr + chunk).slice(-4000);
          });
          child.on('error', reject);
          child.on('close', (code) => {
            if (code === 0) resolve();
            else
              reject(
                new DissonanceError('E_WORKER', `demo worker for ${list.length} runs exited ${code}: ${stderr.trim()}`),
              );
          });
        }),
    ),
  );
}

/** Entry of a child process: runs the seeds of the job on its command line, one JSON line per seed. */
export async function demoWorkerMain(
  argv: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  try {
    const job = JSON.parse(argv[0] ?? '') as WorkerJob;
    const data =
      job.csv === undefined
        ? loadDataset(job.dataset, job.dataDir)
        : readEvaluationCsv(readFileSync(job.csv.path, 'utf8'), job.csv.options);
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1, interOpNumThreads: 1 });
    const seeds = [...new Set(job.pairs.map(([seed]) => seed))];
    for (const seed of seeds) {
      const names = job.pairs.filter(([s]) => s === seed).map(([, name]) => name);
      const runs = await runSeed(
        {
          data,
          dataset: job.dataset,
          seed,
          strategies: STRATEGIES.filter((s) => names.includes(s.name)),
          settings: DEFAULT_SETTINGS,
          budgetShare: job.budget,
          root: job.root,
          injectRegression: job.injectRegression && seed === job.firstSeed,
          ...(job.registry === undefined ? {} : { registry: job.registry }),
        },
        runtime,
      );
      io.out(`${JSON.stringify({ seed, runs })}\n`);
    }
    return 0;
  } catch (error) {
    io.err(`demo-worker: ${isDissonanceError(error) || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
