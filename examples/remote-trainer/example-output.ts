import type { StrategyResult } from '../../packages/cli/src/demo/demo-result.js';
import { strategiesTable, versionsTable } from '../../packages/cli/src/demo/format-tables.js';
import { meanSd } from '../../packages/cli/src/demo/mean-sd.js';
import type { StrategyRun } from '../../packages/cli/src/demo/strategy-run.js';
import { countDecisions, MODELS, type ExampleResult } from './run-example.js';

/** One path over the seeds: final golden accuracy (fraction) mean, sd and per seed, seed-set accuracy, labels. */
export interface PathSummary {
  /** Mean over seeds of the final champion's golden accuracy, a fraction. */
  readonly accuracy: number;
  readonly sd: number;
  readonly perSeed: readonly number[];
  /** Mean golden accuracy of the seed-set model. */
  readonly seedSet: number;
  /** Mean oracle labels used per seed. */
  readonly labels: number;
}

/** What `--json` prints. */
export interface ExampleJson {
  readonly via: string;
  readonly model: string;
  readonly seeds: readonly number[];
  /** The remote path: the proposer retrained by the Python worker. */
  readonly final: PathSummary;
  /** The built-in MLP trainer (the demo's default path), same seeds and label budget. */
  readonly builtin: PathSummary;
  /** `final.accuracy − builtin.accuracy`. */
  readonly difference: number;
  /** Remote candidates promoted (all seeds). */
  readonly promotions: number;
  /** Remote champions rolled back after their canary (none here: the demo's protocol runs without a canary). */
  readonly rollbacks: number;
  /** Remote candidates the engine refused at validation (golden guard), all seeds. */
  readonly rejected: number;
  readonly jobs: ExampleResult['jobs'];
  readonly seconds: number;
}

function summary(runs: readonly StrategyRun[]): PathSummary {
  const final = meanSd(runs.map((r) => r.final));
  return {
    accuracy: final.mean,
    sd: final.sd,
    perSeed: runs.map((r) => r.final),
    seedSet: meanSd(runs.map((r) => r.seedOnly)).mean,
    labels: meanSd(runs.map((r) => r.labelsUsed)).mean,
  };
}

/** The JSON of a run (`--json`). */
export function exampleJson(result: ExampleResult): ExampleJson {
  const final = summary(result.remote.runs);
  const builtin = summary(result.builtin.runs);
  return {
    via: result.via,
    model: result.model,
    seeds: result.seeds,
    final,
    builtin,
    difference: final.accuracy - builtin.accuracy,
    promotions: countDecisions(result.remote.runs, 'promoted'),
    rollbacks: countDecisions(result.remote.runs, 'rolled-back'),
    rejected: countDecisions(result.remote.runs, 'rejected'),
    jobs: result.jobs,
    seconds: result.seconds,
  };
}

function strategyRow(name: string, label: string, kind: StrategyResult['kind'], runs: readonly StrategyRun[]) {
  return {
    name,
    label,
    kind,
    seedOnly: meanSd(runs.map((r) => r.seedOnly)),
    final: meanSd(runs.map((r) => r.final)),
    labelsUsed: meanSd(runs.map((r) => r.labelsUsed)).mean,
    perSeed: runs.map((r) => r.final),
    curve: [],
  };
}

/** The demo's tables for a run: the remote path's versions (first seed), then both paths side by side. */
export function exampleText(result: ExampleResult): string {
  const json = exampleJson(result);
  const first = result.remote.runs[0];
  const s = result.split;
  const lines = [
    `example:remote-trainer — digits, seeds ${result.seeds.join(', ')}; worker over ${result.via}`,
    `split per seed: golden ${s.golden} (never trained on), seed set ${s.seedSet}, stream ${s.stream} in batches of ${s.batch}; oracle budget ${(result.budget * 100).toFixed(0)}% of the stream`,
    `remote proposer: ${MODELS[result.model].label}`,
    '',
    `model versions of the remote path (seed ${result.seeds[0] ?? '?'}):`,
    first === undefined ? '' : versionsTable({ versions: first.versions }),
    `paths (final golden accuracy, mean ± sd over ${result.seeds.length} seed${result.seeds.length === 1 ? '' : 's'}):`,
    strategiesTable({
      strategies: [
        strategyRow(`remote ${result.model}`, 'retrained by the Python worker', 'default', result.remote.runs),
        strategyRow('built-in MLP', "the demo's default trainer", 'baseline', result.builtin.runs),
      ],
    }),
    `difference (remote − built-in): ${(json.difference * 100).toFixed(2)} points; per seed: ${json.final.perSeed
      .map((v, i) => `${((v - json.builtin.perSeed[i]!) * 100).toFixed(2)}`)
      .join(', ')}`,
    `remote candidates: ${json.promotions} promoted, ${json.rejected} rejected by the golden guard, ${json.rollbacks} rolled back`,
    `jobs: ${json.jobs.sent} sent, ${json.jobs.completed} completed, ${json.jobs.retried} retried, ${json.jobs.timedOut} timed out, ${json.jobs.refused} refused`,
    `${result.seconds.toFixed(1)} s`,
  ];
  return lines.join('\n') + '\n';
}
