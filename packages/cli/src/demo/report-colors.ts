/** The report's colours: colour-blind-safe (Okabe–Ito based), dark enough on white. */

/** Strategy line colours; the product's default strategy always gets the first. */
export const STRATEGY_COLORS: readonly string[] = [
  '#0a5fa8', // blue
  '#d55e00', // vermillion
  '#6b6b6b', // grey
  '#009e73', // green
  '#cc79a7', // purple
  '#b8860b', // dark gold
  '#56b4e9', // sky
  '#7a4ea3', // violet
];

/** Version-timeline markers by decision. */
export const DECISION_COLORS = {
  initial: '#0a5fa8',
  promoted: '#1b8a3a',
  rejected: '#c62828',
  'rolled-back': '#c62828',
} as const;

/** Histogram bars: below the dissonance threshold, dissonant, quarantined (above max dissonance). */
export const BIN_COLORS = {
  calm: '#9fbcd6',
  dissonant: '#e69f00',
  quarantined: '#c62828',
} as const;

/** Picks one colour per strategy: the `default` kind first, then the others in order. */
export function strategyColors(kinds: readonly string[]): string[] {
  let next = 1;
  return kinds.map((kind) => {
    if (kind === 'default') return STRATEGY_COLORS[0] ?? '#000';
    const color = STRATEGY_COLORS[next % STRATEGY_COLORS.length] ?? '#000';
    next++;
    return color;
  });
}
