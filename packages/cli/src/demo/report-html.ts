/**
 * Text helpers for the demo's HTML report: escaping and number formatting. Every piece of text that comes
 * from a `DemoResult` goes through {@link escapeHtml} before it reaches the page.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '` so the text is inert both as element content and inside a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** One ` name="value"` attribute with the value escaped. */
export function attr(name: string, value: string | number | boolean): string {
  return ` ${name}="${escapeHtml(String(value))}"`;
}

/**
 * One ` name="json"` attribute holding `JSON.stringify(value)`, escaped. Numbers keep their exact
 * round-trip representation, so `JSON.parse(element.getAttribute(name))` gives back the plotted values.
 */
export function jsonAttr(name: string, value: unknown): string {
  return attr(name, JSON.stringify(value));
}

/** A fraction as a percentage with `digits` decimals: `0.9712` → `97.1%`. */
export function formatPercent(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '–';
}

/** A fraction as percentage points without the sign: `0.0081` → `0.8`. */
export function formatPoints(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? (fraction * 100).toFixed(digits) : '–';
}

/** A number with at most `digits` decimals and no trailing zeros: `0.120` → `0.12`, `300` → `300`. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–';
  return String(Number(value.toFixed(digits)));
}

/** Rounds an SVG coordinate to 2 decimals (well under the 0.5 px a reader can see). */
export function px(value: number): number {
  return Math.round(value * 100) / 100;
}
