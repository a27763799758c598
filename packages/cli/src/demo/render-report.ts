/**
 * The demo's HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets or
 * URLs) with the learning curves, the per-round dissonance histograms, the model-version timeline, the
 * policy in force and the tables behind them. Every plotted mark carries its exact JSON numbers as data
 * attributes, and every chart its scales (`data-x-domain`, `data-y-domain`, `data-plot-box`), so a test
 * can check that what is drawn is what was measured.
 */
import type { DemoResult } from './demo-result.js';
import { budgetStrategies, renderAccuracyChart } from './report-accuracy-chart.js';
import { renderDissonanceChart } from './report-dissonance-chart.js';
import { escapeHtml, formatNumber, formatPercent } from './report-html.js';
import { REPORT_CSS } from './report-style.js';
import { renderPolicyTable, renderSetupTable, renderStrategyTable, renderVersionTable } from './report-tables.js';
import { renderTimelineChart } from './report-timeline-chart.js';

/**
 * Nothing may be fetched or run: inline styles only. Even if some text escaped escaping, the page could
 * neither run a script nor load anything.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** Renders `result` as one self-contained HTML document. Pure: the same result gives the same bytes. */
export function renderReport(result: DemoResult): string {
  const seeds = result.seeds.length;
  const title = `dissonance demo: ${result.dataset}`;
  const meta =
    `${result.rows} rows × ${result.features} features, ${result.classes} classes · ` +
    `${seeds} seed${seeds === 1 ? '' : 's'} (${result.seeds.join(', ')}) · ` +
    `label budget ${formatPercent(result.budget)} of the stream · ran in ${formatNumber(result.seconds, 1)} s`;
  const section = (id: string, heading: string, note: string, body: string): string =>
    `<section id="${id}"><h2>${escapeHtml(heading)}</h2>${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}${body}</section>`;

  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body><main>',
    `<header><h1>${escapeHtml(title)}</h1><p class="meta">${escapeHtml(meta)}</p></header>`,
    section(
      'accuracy',
      'Accuracy vs labels used',
      `Golden accuracy of the serving champion as oracle labels are spent; line = mean over ${seeds} seed${seeds === 1 ? '' : 's'}, band = ±1 sd.`,
      `<figure>${renderAccuracyChart(result.strategies)}</figure>`,
    ),
    ...(budgetStrategies(result.strategies).length < result.strategies.length
      ? [
          section(
            'accuracy-budget',
            'Accuracy vs labels used, within the label budget',
            'The same curves without the strategies that label every item, so the budget range has the whole width.',
            `<figure>${renderAccuracyChart(budgetStrategies(result.strategies), 'accuracy-budget')}</figure>`,
          ),
        ]
      : []),
    section(
      'strategies',
      'Strategies',
      'Final golden accuracy of each strategy (mean ± sd in points over seeds), the paired per-seed difference against random (bold only when it exceeds two standard errors), oracle labels used, and the final accuracy of every seed.',
      renderStrategyTable(result.strategies, result.seeds),
    ),
    section(
      'dissonance',
      'Dissonance distribution per round',
      histogramCaption(result),
      `<figure>${renderDissonanceChart(result.rounds, result.policy)}</figure>`,
    ),
    section(
      'versions',
      'Model-version timeline',
      `Every model version of the default strategy's run on seed ${result.seeds[0] ?? '–'}, by round and golden accuracy; lines join a version to its parent.`,
      `<figure>${renderTimelineChart(result.versions, result.champion)}</figure>${renderVersionTable(result.versions, result.champion)}`,
    ),
    section(
      'policy',
      'Policy in force',
      'The reconcile and retrain policy, and the run set-up.',
      `<div class="two-col">${renderPolicyTable(result.policy)}${renderSetupTable(result)}</div>`,
    ),
    '</main></body></html>',
    '',
  ].join('\n');
}

/** The histogram caption: names only the dashed lines that are on the axis. */
function histogramCaption(result: DemoResult): string {
  const upper = result.rounds[0]?.upper ?? Infinity;
  const { dissonanceThreshold, maxDissonance } = result.policy;
  const on = (v: number): boolean => v > 0 && v < upper;
  const lines = [
    ...(on(dissonanceThreshold) ? [`dissonance threshold ${formatNumber(dissonanceThreshold)}`] : []),
    ...(on(maxDissonance) ? [`max dissonance ${formatNumber(maxDissonance)}`] : []),
  ];
  const off = on(maxDissonance)
    ? ''
    : ` Max dissonance ${formatNumber(maxDissonance)} is above the axis (${formatNumber(upper)}): no item is over it.`;
  return `Items per dissonance bin between two retrains (default strategy, seed ${result.seeds[0] ?? '–'})${lines.length > 0 ? `; dashed lines: ${lines.join(' and ')}` : ''}.${off}`;
}
