/** Linear scales, nice domains and ticks for the report's SVG charts. */

/** A closed numeric interval `[low, high]`. */
export type Domain = readonly [number, number];

/** The rectangle (in SVG user units = CSS px) the data is drawn in. */
export interface PlotBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The two scales of one plot: data → SVG coordinates, y growing upwards. */
export interface PlotScales {
  readonly box: PlotBox;
  readonly xDomain: Domain;
  readonly yDomain: Domain;
  readonly x: (value: number) => number;
  readonly y: (value: number) => number;
}

/** Maps `value` from `domain` linearly onto `[from, to]`. */
export function linear(domain: Domain, from: number, to: number): (value: number) => number {
  const [d0, d1] = domain;
  const span = d1 - d0 === 0 ? 1 : d1 - d0;
  return (value) => from + ((value - d0) / span) * (to - from);
}

/** Scales for `box`: `xDomain` left → right, `yDomain` bottom → top. */
export function plotScales(box: PlotBox, xDomain: Domain, yDomain: Domain): PlotScales {
  return {
    box,
    xDomain,
    yDomain,
    x: linear(xDomain, box.x, box.x + box.width),
    y: linear(yDomain, box.y + box.height, box.y),
  };
}

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const factor = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10;
  return factor * power;
}

/** The smallest domain of nice-step multiples that holds `[low, high]`; a point becomes a small interval. */
export function niceDomain(low: number, high: number, count = 5): Domain {
  let lo = Number.isFinite(low) ? low : 0;
  let hi = Number.isFinite(high) ? high : 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  return [snap(Math.floor(lo / step) * step, step), snap(Math.ceil(hi / step) * step, step)];
}

/** Tick values at nice-step multiples inside `domain`. */
export function ticks(domain: Domain, count = 5): number[] {
  const [lo, hi] = domain;
  const step = niceStep(hi - lo, count);
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(snap(i * step, step));
  return out;
}

/** Integer ticks inside `domain`, thinned to at most about `count`. */
export function integerTicks(domain: Domain, count = 10): number[] {
  const step = Math.max(1, Math.ceil((domain[1] - domain[0]) / Math.max(1, count)));
  const out: number[] = [];
  for (let v = Math.ceil(domain[0]); v <= domain[1]; v += step) out.push(v);
  return out;
}

/** Removes floating-point dust from a multiple of `step` (0.30000000000000004 → 0.3). */
function snap(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(value.toFixed(Math.min(12, decimals)));
}
