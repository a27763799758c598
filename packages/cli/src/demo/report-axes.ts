/** Axes, grid lines and the data attributes that let a reader (or a test) invert a chart's scales. */
import { attr, escapeHtml, jsonAttr, px } from './report-html.js';
import type { PlotScales } from './report-scale.js';

/** How to draw one plot's axes. */
export interface AxesOptions {
  readonly scales: PlotScales;
  readonly xTicks: readonly number[];
  readonly yTicks: readonly number[];
  readonly xFormat: (value: number) => string;
  readonly yFormat: (value: number) => string;
  /** Axis titles (plain text, escaped here); omitted when empty. */
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Smaller type for small multiples. */
  readonly compact?: boolean;
}

/**
 * ` data-x-domain="[lo,hi]" data-y-domain="[lo,hi]" data-plot-box="[x,y,width,height]"`: with these a
 * point's data values map to SVG coordinates as `x = box.x + (v − lo) / (hi − lo) · box.width`, and
 * `y = box.y + box.height − (v − lo) / (hi − lo) · box.height`.
 */
export function scaleAttrs(scales: PlotScales): string {
  const { box } = scales;
  return (
    jsonAttr('data-x-domain', scales.xDomain) +
    jsonAttr('data-y-domain', scales.yDomain) +
    jsonAttr('data-plot-box', [box.x, box.y, box.width, box.height])
  );
}

/** Grid lines, both axes with their ticks and tick labels, and the axis titles. */
export function renderAxes(options: AxesOptions): string {
  const { scales, compact = false } = options;
  const { box } = scales;
  const bottom = box.y + box.height;
  const right = box.x + box.width;
  const fontClass = compact ? 'tick small' : 'tick';
  const parts: string[] = ['<g class="axes">'];
  for (const value of options.yTicks) {
    const y = px(scales.y(value));
    parts.push(`<line class="grid" x1="${box.x}" x2="${right}" y1="${y}" y2="${y}"/>`);
    parts.push(
      `<text class="${fontClass}" x="${box.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(options.yFormat(value))}</text>`,
    );
  }
  for (const value of options.xTicks) {
    const x = px(scales.x(value));
    parts.push(`<line class="tick-mark" x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}"/>`);
    parts.push(
      `<text class="${fontClass}" x="${x}" y="${bottom + (compact ? 14 : 17)}" text-anchor="middle">${escapeHtml(options.xFormat(value))}</text>`,
    );
  }
  parts.push(`<line class="axis" x1="${box.x}" x2="${right}" y1="${bottom}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${box.x}" x2="${box.x}" y1="${box.y}" y2="${bottom}"/>`);
  if (options.xLabel) {
    parts.push(
      `<text class="axis-title" x="${px(box.x + box.width / 2)}" y="${bottom + (compact ? 30 : 38)}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    const cy = px(box.y + box.height / 2);
    const cx = box.x - (compact ? 36 : 50);
    parts.push(
      `<text class="axis-title"${attr('transform', `rotate(-90 ${cx} ${cy})`)} x="${cx}" y="${cy}" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}
