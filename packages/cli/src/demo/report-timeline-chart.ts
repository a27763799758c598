/** Chart (c): every model version of the first seed's default run, by round and golden accuracy. */
import type { VersionRecord } from './demo-result.js';
import { CHART_HEIGHT, CHART_WIDTH } from './report-accuracy-chart.js';
import { renderAxes, scaleAttrs } from './report-axes.js';
import { DECISION_COLORS } from './report-colors.js';
import { attr, escapeHtml, formatPercent, jsonAttr, px } from './report-html.js';
import { renderLegend } from './report-legend.js';
import { integerTicks, niceDomain, plotScales, ticks } from './report-scale.js';

const MARGIN = { left: 70, right: 30, bottom: 50, top: 12 } as const;

/**
 * Marker shape for a decision, centred on (0, 0) with a symmetric bounding box: a circle for the initial
 * model, an upward triangle for a promotion, a cross for a rejection or rollback.
 */
export function markerShape(decision: VersionRecord['decision']): string {
  const color = DECISION_COLORS[decision];
  switch (decision) {
    case 'initial':
      return `<circle class="shape" r="6" fill="${color}"/>`;
    case 'promoted':
      return `<path class="shape" d="M0,-7 L7,7 L-7,7 Z" fill="${color}"/>`;
    case 'rejected':
    case 'rolled-back':
      return `<path class="shape" d="M-6,-6 L6,6 M6,-6 L-6,6" stroke="${color}" stroke-width="3" stroke-linecap="round" fill="none"/>`;
  }
}

/**
 * One `<svg data-chart="timeline">` with its scales as data attributes; each version is a
 * `<g class="marker" data-version data-round data-accuracy data-decision>` translated to its point, a thin
 * line joins each version to its parent, and the final champion has a ring.
 */
export function renderTimelineChart(versions: readonly VersionRecord[], champion: string): string {
  if (versions.length === 0) return '<p class="empty">No model versions in this result.</p>';
  const legend = renderLegend(
    [
      { swatch: markerShape('initial'), text: 'initial (seed set)' },
      { swatch: markerShape('promoted'), text: 'promoted' },
      { swatch: markerShape('rejected'), text: 'rejected / rolled back' },
      { swatch: '<circle r="9" class="champion-ring"/>', text: 'final champion' },
    ],
    MARGIN.left,
    MARGIN.top,
    CHART_WIDTH - MARGIN.left - MARGIN.right,
  );
  const top = MARGIN.top + legend.height + 24;
  const box = {
    x: MARGIN.left,
    y: top,
    width: CHART_WIDTH - MARGIN.left - MARGIN.right,
    height: CHART_HEIGHT - top - MARGIN.bottom,
  };
  const rounds = versions.map((v) => v.round);
  const accuracies = versions.map((v) => v.goldenAccuracy);
  const xDomain = [Math.min(...rounds) - 0.5, Math.max(...rounds) + 0.5] as const;
  const span = Math.max(...accuracies) - Math.min(...accuracies);
  const pad = Math.max(0.01, span * 0.08);
  const yDomain = niceDomain(Math.max(0, Math.min(...accuracies) - pad), Math.min(1, Math.max(...accuracies) + pad), 5);
  const scales = plotScales(box, xDomain, yDomain);
  const { x, y } = scales;
  const at = new Map(versions.map((v) => [v.version, v] as const));

  const parts: string[] = [
    `<svg class="chart"${attr('data-chart', 'timeline')}${scaleAttrs(scales)} width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-labelledby="timeline-title">`,
    '<title id="timeline-title">Model-version timeline: golden accuracy of each version by round</title>',
    legend.svg,
    renderAxes({
      scales,
      xTicks: integerTicks(xDomain, 12),
      yTicks: ticks(yDomain, 5),
      xFormat: (v) => String(v),
      yFormat: (v) => formatPercent(v, 0),
      xLabel: 'round (retrains)',
      yLabel: 'golden accuracy',
    }),
  ];
  for (const v of versions) {
    const parent = v.parent === undefined ? undefined : at.get(v.parent);
    if (parent === undefined) continue;
    parts.push(
      `<line class="lineage"${attr('data-from', parent.version)}${attr('data-to', v.version)} x1="${px(x(parent.round))}" y1="${px(y(parent.goldenAccuracy))}" x2="${px(x(v.round))}" y2="${px(y(v.goldenAccuracy))}"/>`,
    );
  }
  for (const v of versions) {
    const cx = px(x(v.round));
    const cy = px(y(v.goldenAccuracy));
    const refused = v.decision === 'rejected' || v.decision === 'rolled-back';
    const ring = v.version === champion ? '<circle r="11" class="champion-ring"/>' : '';
    parts.push(
      `<g class="marker"${attr('data-version', v.version)}${jsonAttr('data-round', v.round)}${jsonAttr('data-accuracy', v.goldenAccuracy)}${attr('data-decision', v.decision)}${v.version === champion ? attr('data-champion', 'true') : ''} transform="translate(${cx} ${cy})">` +
        `<title>${escapeHtml(`${v.version} (${v.decision}): ${formatPercent(v.goldenAccuracy)} golden, round ${v.round}. ${v.reason}`)}</title>` +
        ring +
        markerShape(v.decision) +
        `<text class="marker-label" x="0" y="${refused ? 24 : -15}" text-anchor="middle" fill="${DECISION_COLORS[v.decision]}">${escapeHtml(`${v.version} · ${formatPercent(v.goldenAccuracy)}`)}</text>` +
        '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
