import type { TrainingExample } from '@dissonance/core';
import type { LearningCritic } from '../committee.js';
import type { LabelledRows } from '../labelled-rows.js';
import { loadDataset } from '../load-dataset.js';
import { fittedCritics as committee, seedSetParts, streamRows } from '../loop-parts.js';
import { DEFAULT_SETTINGS, type LoopSettings } from '../loop-settings.js';
import { prepareSeed, type SeedData } from '../seed-data.js';
import { STRATEGIES, type Strategy } from '../strategies.js';
import type { StageJob } from './stage-job.js';

/** What every stage of a distributed run derives, the same way the in-process demo does (runStrategy). */
export interface StageParts {
  readonly data: SeedData;
  readonly settings: LoopSettings;
  /** The product's default strategy: consensus entropy of proposer + 2 critics. */
  readonly strategy: Strategy;
  readonly budget: number;
  readonly batches: number;
  /** Seed-set rows, labelled: what the critics are first fitted on. */
  readonly labelled: LabelledRows;
  /** The seed set as training examples (the replay buffer's first content). */
  readonly seedExamples: readonly TrainingExample[];
  /** Stream row of an item id. */
  readonly streamRow: ReadonlyMap<string, number>;
}

/** Splits the data set for the job's seed and prepares what the stages share. */
export function stageParts(job: StageJob): StageParts {
  const data = prepareSeed(loadDataset(job.dataset, job.dataDir), job.seed);
  const settings = DEFAULT_SETTINGS;
  return {
    data,
    settings,
    strategy: STRATEGIES.find((s) => s.kind === 'default')!,
    budget: Math.round(job.budget * data.stream.rows),
    batches: Math.ceil(data.stream.rows / settings.batch),
    ...seedSetParts(data),
    streamRow: streamRows(data),
  };
}

/** The committee's learning critics, fitted on the labelled rows (seeded as runStrategy seeds them). */
export function fittedCritics(parts: StageParts): LearningCritic[] {
  return committee(parts.data, parts.strategy, parts.labelled);
}
