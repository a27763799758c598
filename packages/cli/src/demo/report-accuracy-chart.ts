/** Chart (a): golden accuracy vs oracle labels used, one line per strategy with a ±1 sd band. */
import type { StrategyResult } from './demo-result.js';
import { renderAxes, scaleAttrs } from './report-axes.js';
import { strategyColors } from './report-colors.js';
import { attr, escapeHtml, formatNumber, formatPercent, jsonAttr, px } from './report-html.js';
import { renderLegend, type LegendItem } from './report-legend.js';
import { niceDomain, plotScales, ticks } from './report-scale.js';

/** Width and height of every chart, in CSS px. */
export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 360;

const MARGIN = { left: 70, right: 20, bottom: 50, top: 12 } as const;
const LEGEND_LEFT = 24;

/**
 * The accuracy chart as one `<svg data-chart="accuracy">` carrying its scales as data attributes; each
 * strategy is a `<g data-strategy>` with a band (`data-band="[[labels,lo,hi],…]"`), a polyline
 * (`data-points="[[labels,accuracy],…]"`) and one circle per point (`data-labels`, `data-accuracy`,
 * `data-sd`). The seed-set-only accuracy is a dashed reference line.
 */
export function renderAccuracyChart(strategies: readonly StrategyResult[], chart = 'accuracy'): string {
  const points = strategies.flatMap((s) => s.curve);
  if (points.length === 0) return '<p class="empty">No learning curves in this result.</p>';
  const seedOnly = strategies[0]?.seedOnly.mean;

  const colors = strategyColors(strategies.map((s) => s.kind));
  const legend = renderLegend(
    strategies.map((s, i): LegendItem => ({
      swatch: lineSwatch(colors[i] ?? '#000', s),
      text: `${s.label} · ${s.kind}`,
      attrs: attr('data-strategy', s.name),
    })),
    LEGEND_LEFT,
    MARGIN.top,
    CHART_WIDTH - LEGEND_LEFT - MARGIN.right,
  );

  const top = MARGIN.top + legend.height + 14;
  const box = {
    x: MARGIN.left,
    y: top,
    width: CHART_WIDTH - MARGIN.left - MARGIN.right,
    height: CHART_HEIGHT - top - MARGIN.bottom,
  };
  const xs = points.map((p) => p.labels);
  const ys = points.flatMap((p) => [p.accuracy.mean - p.accuracy.sd, p.accuracy.mean + p.accuracy.sd]);
  if (seedOnly !== undefined && Number.isFinite(seedOnly)) ys.push(seedOnly);
  const xDomain = niceDomain(Math.min(0, ...xs), Math.max(...xs), 6);
  const rawY = niceDomain(Math.min(...ys), Math.max(...ys), 5);
  const yDomain = [Math.max(0, rawY[0]), Math.min(1, rawY[1])] as const;
  const scales = plotScales(box, xDomain, yDomain[1] > yDomain[0] ? yDomain : rawY);
  const { x, y } = scales;

  const parts: string[] = [
    `<svg class="chart"${attr('data-chart', chart)}${scaleAttrs(scales)} width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-labelledby="${chart}-title">`,
    `<title id="${chart}-title">Golden accuracy vs oracle labels used, mean ± sd over seeds</title>`,
    renderAxes({
      scales,
      xTicks: ticks(scales.xDomain, 6),
      yTicks: ticks(scales.yDomain, 5),
      xFormat: (v) => formatNumber(v, 0),
      yFormat: (v) => formatPercent(v, 0),
      xLabel: 'oracle labels used',
      yLabel: 'golden accuracy',
    }),
  ];

  if (seedOnly !== undefined && Number.isFinite(seedOnly)) {
    const sy = px(y(seedOnly));
    parts.push(
      `<g class="seed-only"${jsonAttr('data-seed-only', seedOnly)}>` +
        `<line x1="${box.x}" x2="${box.x + box.width}" y1="${sy}" y2="${sy}"/>` +
        `<text x="${box.x + box.width - 4}" y="${sy - 5}" text-anchor="end">seed set only ${escapeHtml(formatPercent(seedOnly))}</text></g>`,
    );
  }

  strategies.forEach((s, i) => {
    const color = colors[i] ?? '#000';
    const upper = s.curve.map((p) => `${px(x(p.labels))},${px(y(p.accuracy.mean + p.accuracy.sd))}`);
    const lower = s.curve.map((p) => `${px(x(p.labels))},${px(y(p.accuracy.mean - p.accuracy.sd))}`).reverse();
    const line = s.curve.map((p) => `${px(x(p.labels))},${px(y(p.accuracy.mean))}`).join(' ');
    const width = s.kind === 'default' ? 3 : 2;
    const dash = s.kind === 'ablation' ? attr('stroke-dasharray', '7 4') : '';
    parts.push(`<g class="series"${attr('data-strategy', s.name)}${attr('data-kind', s.kind)}>`);
    parts.push(
      `<polygon class="band"${attr('data-strategy', s.name)}${jsonAttr(
        'data-band',
        s.curve.map((p) => [p.labels, p.accuracy.mean - p.accuracy.sd, p.accuracy.mean + p.accuracy.sd]),
      )} points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.13" stroke="none"/>`,
    );
    parts.push(
      `<polyline class="curve"${attr('data-strategy', s.name)}${jsonAttr(
        'data-points',
        s.curve.map((p) => [p.labels, p.accuracy.mean]),
      )} points="${line}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"${dash}/>`,
    );
    for (const p of s.curve) {
      parts.push(
        `<circle class="point"${attr('data-strategy', s.name)}${jsonAttr('data-labels', p.labels)}${jsonAttr('data-accuracy', p.accuracy.mean)}${jsonAttr('data-sd', p.accuracy.sd)} cx="${px(x(p.labels))}" cy="${px(y(p.accuracy.mean))}" r="${width + 0.5}" fill="${color}"><title>${escapeHtml(`${s.label}: ${formatPercent(p.accuracy.mean)} ± ${formatPercent(p.accuracy.sd)} at ${p.labels} labels`)}</title></circle>`,
      );
    }
    parts.push('</g>');
  });

  parts.push(legend.svg, '</svg>');
  return parts.join('');
}

/** A short line (dashed for ablations) with a dot, as the legend swatch of strategy `s`. */
function lineSwatch(color: string, s: StrategyResult): string {
  const dash = s.kind === 'ablation' ? attr('stroke-dasharray', '5 3') : '';
  const width = s.kind === 'default' ? 3 : 2;
  return (
    `<rect x="-12" y="-6" width="24" height="12" fill="${color}" fill-opacity="0.13"/>` +
    `<line x1="-12" x2="12" y1="0" y2="0" stroke="${color}" stroke-width="${width}"${dash}/>` +
    `<circle r="${width + 0.5}" fill="${color}"/>`
  );
}

/**
 * The strategies that spend the label budget (not the ones that label every item): those using at most 1.5 ×
 * the fewest labels any strategy used. Their own panel keeps them from being squeezed into the left edge of
 * a chart whose x axis runs to the every-label ceiling.
 */
export function budgetStrategies(strategies: readonly StrategyResult[]): readonly StrategyResult[] {
  const fewest = Math.min(...strategies.map((s) => s.labelsUsed));
  return strategies.filter((s) => s.labelsUsed <= 1.5 * fewest + 1e-9);
}
