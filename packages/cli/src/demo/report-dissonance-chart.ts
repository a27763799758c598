/** Chart (b): the dissonance histogram of every round, as small multiples on one shared count axis. */
import type { DissonanceRound } from './demo-result.js';
import { CHART_WIDTH } from './report-accuracy-chart.js';
import { renderAxes, scaleAttrs } from './report-axes.js';
import { BIN_COLORS } from './report-colors.js';
import { attr, escapeHtml, formatNumber, jsonAttr, px } from './report-html.js';
import { renderLegend } from './report-legend.js';
import { niceDomain, plotScales, ticks, type PlotBox } from './report-scale.js';

/** The two policy thresholds drawn on every panel. */
export interface DissonanceThresholds {
  /** At or above: dissonant (spends budget, may be labelled). */
  readonly dissonanceThreshold: number;
  /** Above: quarantined, never trained on. */
  readonly maxDissonance: number;
}

const COLUMNS = 4;
const PANEL = { left: 46, right: 10, top: 38, bottom: 40 } as const;

/**
 * One `<svg data-chart="dissonance">`; each round is a `<g data-round>` panel with its own scales as data
 * attributes (`data-x-domain` = `[0, upper]`), and each bin a `<rect data-round data-bin data-count
 * data-lo data-hi>`. Bars are coloured by where the bin's centre falls against the policy thresholds.
 */
export function renderDissonanceChart(rounds: readonly DissonanceRound[], thresholds: DissonanceThresholds): string {
  if (rounds.length === 0) return '<p class="empty">No dissonance rounds in this result.</p>';
  const columns = Math.min(COLUMNS, rounds.length);
  const rows = Math.ceil(rounds.length / columns);
  const legend = renderLegend(
    [
      {
        swatch: barSwatch(BIN_COLORS.calm),
        text: `below threshold (< ${formatNumber(thresholds.dissonanceThreshold)})`,
      },
      { swatch: barSwatch(BIN_COLORS.dissonant), text: 'dissonant (labelling candidates)' },
      { swatch: barSwatch(BIN_COLORS.quarantined), text: `quarantined (> ${formatNumber(thresholds.maxDissonance)})` },
      { swatch: '<line x1="0" x2="0" y1="-7" y2="7" class="mean-line"/>', text: 'round mean' },
    ],
    PANEL.left,
    8,
    CHART_WIDTH - PANEL.left - PANEL.right,
  );
  const top = 8 + legend.height + 6;
  const panelWidth = CHART_WIDTH / columns;
  const panelHeight = rows === 1 ? 300 : 200;
  const height = Math.ceil(top + rows * panelHeight);
  const maxCount = Math.max(1, ...rounds.flatMap((r) => r.bins));
  const yDomain = niceDomain(0, maxCount, 4);

  const parts: string[] = [
    `<svg class="chart"${attr('data-chart', 'dissonance')}${jsonAttr('data-y-domain', yDomain)} width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-labelledby="dissonance-title">`,
    '<title id="dissonance-title">Dissonance distribution per round (items per bin)</title>',
    legend.svg,
  ];
  rounds.forEach((round, index) => {
    const col = index % columns;
    const row = Math.floor(index / columns);
    const box: PlotBox = {
      x: col * panelWidth + PANEL.left,
      y: top + row * panelHeight + PANEL.top,
      width: panelWidth - PANEL.left - PANEL.right,
      height: panelHeight - PANEL.top - PANEL.bottom,
    };
    parts.push(renderPanel(round, box, yDomain, thresholds, col === 0));
  });
  parts.push('</svg>');
  return parts.join('');
}

/** One round's histogram in `box`. */
function renderPanel(
  round: DissonanceRound,
  box: PlotBox,
  yDomain: readonly [number, number],
  thresholds: DissonanceThresholds,
  firstColumn: boolean,
): string {
  const upper = round.upper > 0 && Number.isFinite(round.upper) ? round.upper : 1;
  const scales = plotScales(box, [0, upper], yDomain);
  const { x, y } = scales;
  const width = upper / Math.max(1, round.bins.length);
  const parts: string[] = [
    `<g class="panel"${jsonAttr('data-round', round.round)}${jsonAttr('data-upper', round.upper)}${jsonAttr('data-mean', round.mean)}${jsonAttr('data-items', round.items)}${jsonAttr('data-bins', round.bins)}${scaleAttrs(scales)}>`,
    `<text class="panel-title" x="${box.x - 30}" y="${box.y - 22}">${escapeHtml(`round ${round.round}`)}</text>`,
    `<text class="panel-sub" x="${box.x - 30}" y="${box.y - 8}">${escapeHtml(`${round.items} items · mean ${formatNumber(round.mean)}`)}</text>`,
    renderAxes({
      scales,
      xTicks: ticks(scales.xDomain, 4),
      yTicks: ticks(yDomain, 4),
      xFormat: (v) => formatNumber(v, 2),
      yFormat: (v) => formatNumber(v, 0),
      xLabel: 'dissonance',
      ...(firstColumn ? { yLabel: 'items' } : {}),
      compact: true,
    }),
  ];
  round.bins.forEach((count, bin) => {
    const lo = bin * width;
    const hi = (bin + 1) * width;
    const centre = (lo + hi) / 2;
    const fill =
      centre > thresholds.maxDissonance
        ? BIN_COLORS.quarantined
        : centre >= thresholds.dissonanceThreshold
          ? BIN_COLORS.dissonant
          : BIN_COLORS.calm;
    const x0 = px(x(lo));
    const y0 = px(y(count));
    parts.push(
      `<rect class="bin"${jsonAttr('data-round', round.round)}${jsonAttr('data-bin', bin)}${jsonAttr('data-count', count)}${jsonAttr('data-lo', lo)}${jsonAttr('data-hi', hi)} x="${x0}" y="${y0}" width="${px(x(hi) - x(lo))}" height="${px(y(0) - y(count))}" fill="${fill}" stroke="#fff" stroke-width="0.5"><title>${escapeHtml(`[${formatNumber(lo)}, ${formatNumber(hi)}): ${count} items`)}</title></rect>`,
    );
  });
  for (const [name, value] of [
    ['threshold', thresholds.dissonanceThreshold],
    ['max', thresholds.maxDissonance],
  ] as const) {
    if (value > 0 && value < upper) {
      const tx = px(x(value));
      parts.push(
        `<line class="threshold"${attr('data-threshold', name)}${jsonAttr('data-value', value)} x1="${tx}" x2="${tx}" y1="${box.y}" y2="${box.y + box.height}"/>`,
      );
    }
  }
  if (Number.isFinite(round.mean) && round.mean >= 0 && round.mean <= upper) {
    const mx = px(x(round.mean));
    parts.push(
      `<line class="mean-line"${jsonAttr('data-mean', round.mean)} x1="${mx}" x2="${mx}" y1="${box.y}" y2="${box.y + box.height}"/>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}

/** A small filled square. */
function barSwatch(color: string): string {
  return `<rect x="-7" y="-7" width="14" height="14" fill="${color}"/>`;
}
