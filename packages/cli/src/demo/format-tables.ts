import type { DemoResult, MeanSd } from './demo-result.js';

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '—');
const meanSdText = (v: MeanSd): string => `${(v.mean * 100).toFixed(2)} ± ${(v.sd * 100).toFixed(2)}`;

function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The per-version table of the first seed's default run. */
export function versionsTable(result: Pick<DemoResult, 'versions'>): string {
  const rows = result.versions.map((v) => [
    v.version,
    String(v.round),
    pct(v.goldenAccuracy),
    String(v.labelsUsed),
    v.dissonanceMean.toFixed(3),
    v.kl.toFixed(4),
    v.decision,
  ]);
  return table(['version', 'round', 'golden', 'labels', 'mean d', 'KL', 'decision'], rows, new Set([0, 1, 2, 3, 4, 5]));
}

/** The per-strategy table: final golden accuracy mean ± sd over seeds (points), labels used. */
export function strategiesTable(result: Pick<DemoResult, 'strategies'>): string {
  const rows = result.strategies.map((s) => [
    s.name,
    s.kind,
    meanSdText(s.seedOnly),
    meanSdText(s.final),
    s.labelsUsed.toFixed(0),
    s.label,
  ]);
  return table(
    ['strategy', 'kind', 'seed set only', 'final golden (%)', 'labels', 'selection'],
    rows,
    new Set([2, 3, 4]),
  );
}

/** Everything printed after a run (without `--json`). */
export function summaryText(result: DemoResult, command: 'demo' | 'evaluate' = 'demo'): string {
  const p = result.policy;
  const lines = [
    `dissonance ${command} — ${result.dataset}: ${result.rows} rows × ${result.features} features, ${result.classes} classes; seeds ${result.seeds.join(', ')}`,
    `split per seed: golden ${result.split.golden} (never trained on), seed set ${result.split.seedSet}, stream ${result.split.stream} in batches of ${result.split.batch}; oracle budget ${(result.budget * 100).toFixed(0)}% of the stream`,
    `proposer: ${result.proposer}`,
    `critics: ${result.critics.join(', ')}; detector: ${result.detector}`,
    `policy: klEps ${p.klEps}, lambdaMax ${p.lambdaMax}, dTarget ${p.dTarget}, maxGoldenDrop ${p.maxGoldenDrop}, maxDissonance ${p.maxDissonance}, dBudgetPerHour ${p.dBudgetPerHour >= 1e9 ? 'off' : p.dBudgetPerHour.toLocaleString('en-US')}`,
    '',
    `model versions (seed ${result.seeds[0] ?? '?'}, default strategy${result.injectRegression ? ', regression injected' : ''}):`,
    versionsTable(result),
    ...result.versions
      .filter((v) => v.decision === 'rejected' || v.decision === 'rolled-back')
      .map((v) => `  version ${v.version} ${v.decision}: ${v.reason}`),
    `registry champion: version ${result.champion}`,
    '',
    `strategies (final golden accuracy, mean ± sd over ${result.seeds.length} seed${result.seeds.length === 1 ? '' : 's'}):`,
    strategiesTable(result),
    `${result.seconds.toFixed(1)} s`,
  ];
  return lines.join('\n') + '\n';
}
