import type { BrokerKind } from './broker.js';

/** What every process of a distributed demo run is told (JSON on the command line). */
export interface StageJob {
  readonly broker: BrokerKind;
  readonly url?: string;
  /** Topic prefix of this run. */
  readonly prefix: string;
  readonly dataset: string;
  readonly dataDir?: string;
  readonly seed: number;
  /** Oracle labels as a share of the stream. */
  readonly budget: number;
  /** Run folder: the file registry, the retrain stage's store and dedup log, `proposer.onnx`. */
  readonly dir: string;
}

/** Model name of the distributed run's proposer. */
export function proposerName(job: StageJob): string {
  return `${job.dataset}-proposer`;
}
