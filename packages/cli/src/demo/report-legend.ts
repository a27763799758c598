/** A chart legend laid out in rows across the top of an SVG, so it never covers the data. */
import { escapeHtml } from './report-html.js';

/** One legend entry: an SVG swatch drawn around (0, 0) in a 24 × 14 cell, and its text. */
export interface LegendItem {
  readonly swatch: string;
  readonly text: string;
  /** Extra attributes for the entry's `<g>` (already escaped), e.g. ` data-strategy="random"`. */
  readonly attrs?: string;
}

/** The rendered legend and the height it takes. */
export interface Legend {
  readonly svg: string;
  readonly height: number;
}

const ROW_HEIGHT = 20;
const SWATCH_WIDTH = 30;
const GAP = 18;

/**
 * Rough width of `text` at the report's 12 px sans-serif (no font metrics without a browser); measured
 * DejaVu Sans runs 0.49–0.54 em a character, so this errs wide.
 */
export function textWidth(text: string, fontSize = 12): number {
  return text.length * fontSize * 0.56;
}

/**
 * Lays out `items` from (`x`, `y`): on one row when they fit in `maxWidth`, else on a grid of equal
 * columns so the entries line up.
 */
export function renderLegend(items: readonly LegendItem[], x: number, y: number, maxWidth: number): Legend {
  if (items.length === 0) return { svg: '', height: 0 };
  const widths = items.map((item) => SWATCH_WIDTH + textWidth(item.text) + GAP);
  const oneRow = widths.reduce((a, b) => a + b, 0) <= maxWidth;
  const column = Math.max(...widths);
  const columns = oneRow ? items.length : Math.max(1, Math.floor(maxWidth / column));
  const parts: string[] = ['<g class="legend">'];
  let cx = 0;
  items.forEach((item, i) => {
    const row = Math.floor(i / columns);
    const left = oneRow ? cx : (i % columns) * column;
    cx += widths[i] ?? 0;
    const ty = y + row * ROW_HEIGHT + ROW_HEIGHT / 2;
    parts.push(
      `<g class="legend-item"${item.attrs ?? ''} transform="translate(${Math.round(x + left)} ${ty})">` +
        `<g transform="translate(12 0)">${item.swatch}</g>` +
        `<text x="${SWATCH_WIDTH}" y="0" dominant-baseline="middle">${escapeHtml(item.text)}</text></g>`,
    );
  });
  parts.push('</g>');
  return { svg: parts.join(''), height: Math.ceil(items.length / columns) * ROW_HEIGHT };
}
