/** Labels of one arm of the oracle and how many of them corrected the proposer. */
export interface ArmStats {
  /** Oracle labels received in this arm. */
  readonly labels: number;
  /** Of those, labels that differ from the proposer's top class (a mistake found). */
  readonly corrections: number;
}

/**
 * What the oracle's random control arm measured on live traffic. The control arm picks items uniformly at
 * random, so its correction rate is what random selection would find; `savings` is `1 − control rate /
 * selected rate`: the share of labels random selection would need on top to find the same mistakes
 * (negative when the selection does worse than random). `undefined` until both arms have labels and the
 * selected arm found a mistake.
 */
export interface LabelSavings {
  readonly selected: ArmStats;
  readonly control: ArmStats;
  readonly savings: number | undefined;
}

/** Savings from the two arms' counts. Not part of the public API. */
export function labelSavings(selected: ArmStats, control: ArmStats): LabelSavings {
  const selectedRate = selected.labels === 0 ? 0 : selected.corrections / selected.labels;
  const controlRate = control.labels === 0 ? Number.NaN : control.corrections / control.labels;
  const savings = control.labels === 0 || selectedRate === 0 ? undefined : 1 - controlRate / selectedRate;
  return { selected: { ...selected }, control: { ...control }, savings };
}
