/** The report's tables: run set-up, policy in force, strategies and versions. All text is escaped. */
import type { DemoResult, StrategyResult, VersionRecord } from './demo-result.js';
import { pairedDifference, verdictOf, type PairedDifference } from './mean-sd.js';
import { attr, escapeHtml, formatNumber, formatPercent, formatPoints, jsonAttr } from './report-html.js';

/** What each policy field means, for the policy table. Unknown fields are still listed, without a note. */
const POLICY_NOTES: Readonly<Record<string, string>> = {
  dTarget: 'D_target of the ADR loss',
  lambdaMax: 'upper bound of the dissonance-term weight λ',
  klEps: 'bound on KL(old‖new) over the reference rows',
  dBudgetPerHour: 'dissonant items acted on per hour (token bucket; the rest are deferred)',
  maxDissonance: 'above this an item goes to the oracle only, never pseudo-labelled',
  dissonanceThreshold: 'at or above this an item is dissonant (spends budget, may be labelled)',
  maxGoldenDrop: 'largest golden-accuracy drop a candidate may show and still be promoted',
};

/** A `<td>` with escaped text. */
function td(text: string | number, className?: string): string {
  return `<td${className ? attr('class', className) : ''}>${escapeHtml(String(text))}</td>`;
}

/** A `<th>` row. */
function head(...titles: string[]): string {
  return `<thead><tr>${titles.map((t) => `<th>${escapeHtml(t)}</th>`).join('')}</tr></thead>`;
}

/** The policy fields with their values and meanings. */
export function renderPolicyTable(policy: DemoResult['policy']): string {
  const rows = Object.entries(policy).map(
    ([key, value]) =>
      `<tr${attr('data-policy', key)}${jsonAttr('data-value', value)}>${td(key, 'mono')}${td(typeof value === 'number' ? policyNumber(value) : String(value), 'num')}${td(POLICY_NOTES[key] ?? '')}</tr>`,
  );
  return `<table class="policy">${head('field', 'value', 'meaning')}<tbody>${rows.join('')}</tbody></table>`;
}

/** The run's set-up: dataset, split, models, detector, seeds, budget. */
export function renderSetupTable(result: DemoResult): string {
  const { split } = result;
  const rows: [string, string][] = [
    ['dataset', `${result.dataset}: ${result.rows} rows × ${result.features} features, ${result.classes} classes`],
    ['split', `golden ${split.golden} · seed set ${split.seedSet} · stream ${split.stream} · batch ${split.batch}`],
    ['proposer', result.proposer],
    ['critics', result.critics.join(', ') || '–'],
    ['detector', result.detector],
    ['seeds', result.seeds.join(', ')],
    ['label budget', `${formatPercent(result.budget)} of the stream`],
    ['injected regression', result.injectRegression ? 'yes' : 'no'],
    ['final champion', result.champion],
  ];
  return `<table class="setup"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th>${td(v)}</tr>`).join('')}</tbody></table>`;
}

/**
 * A policy number: large ones with thousands separators (`1,000,000`, not `1000000`), `off` for a bucket
 * of 10⁹ or more (no stream reaches it).
 */
function policyNumber(value: number): string {
  if (value >= 1e9) return 'off';
  return value >= 10_000 ? Math.round(value).toLocaleString('en-US') : formatNumber(value, 4);
}

/** The paired per-seed difference of `s` against `random` (mean, sd, mean / standard error). */
export function pairedVsRandom(s: StrategyResult, random: StrategyResult | undefined): PairedDifference | undefined {
  if (random === undefined || s === random || random.perSeed.length !== s.perSeed.length || s.perSeed.length === 0)
    return undefined;
  return pairedDifference(s.perSeed.map((v, i) => v - random.perSeed[i]!));
}

/**
 * One row per strategy: seed-only and final accuracy (mean ± sd), the paired difference against random (bold
 * only when it exceeds two standard errors), labels used, final accuracy per seed.
 */
export function renderStrategyTable(strategies: readonly StrategyResult[], seeds: readonly number[]): string {
  const random = strategies.find((s) => s.name === 'random');
  const rows = strategies.map((s) => {
    const vs = pairedVsRandom(s, random);
    const wins = vs !== undefined && verdictOf(vs) === 1;
    const vsText =
      vs === undefined ? '–' : `${vs.mean >= 0 ? '+' : ''}${formatPoints(vs.mean)} ± ${formatPoints(vs.sd)}`;
    return (
      `<tr${attr('data-strategy', s.name)}${jsonAttr('data-final-mean', s.final.mean)}${jsonAttr('data-final-sd', s.final.sd)}${jsonAttr('data-labels-used', s.labelsUsed)}${jsonAttr('data-per-seed', s.perSeed)}${attr('data-wins', wins ? 'yes' : 'no')}>` +
      `${td(s.label)}${td(s.kind)}` +
      `${td(`${formatPercent(s.seedOnly.mean)} ± ${formatPoints(s.seedOnly.sd)}`, 'num')}` +
      `${td(`${formatPercent(s.final.mean)} ± ${formatPoints(s.final.sd)}`, wins ? 'num strong' : 'num')}` +
      `${td(vsText, wins ? 'num strong' : 'num')}` +
      `${td(formatNumber(s.labelsUsed, 1), 'num')}` +
      `${td(s.perSeed.map((a) => formatPercent(a)).join(' · '), 'num')}</tr>`
    );
  });
  return (
    `<table class="strategies">${head('strategy', 'kind', 'seed set only', 'final (mean ± sd, points)', 'vs random (paired, points)', 'labels used', `final per seed (${seeds.join(', ')})`)}` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** One row per model version, with the decision and its reason. */
export function renderVersionTable(versions: readonly VersionRecord[], champion: string): string {
  const rows = versions.map(
    (v) =>
      `<tr${attr('data-version', v.version)}${attr('data-decision', v.decision)}${attr('class', `decision-${v.decision}`)}>` +
      `${td(v.version === champion ? `${v.version} (champion)` : v.version, 'mono')}${td(v.parent ?? '–', 'mono')}${td(v.round, 'num')}` +
      `${td(formatPercent(v.goldenAccuracy), 'num')}${td(v.labelsUsed, 'num')}${td(formatNumber(v.dissonanceMean), 'num')}` +
      `${td(formatNumber(v.kl, 4), 'num')}${td(v.decision, 'decision')}${td(v.reason)}</tr>`,
  );
  return `<table class="versions">${head('version', 'parent', 'round', 'golden acc.', 'labels', 'dissonance mean', 'KL(old‖new)', 'decision', 'reason')}<tbody>${rows.join('')}</tbody></table>`;
}
