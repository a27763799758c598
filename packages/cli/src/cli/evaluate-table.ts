import type { Evaluation } from '../demo/evaluation.js';
import { verdictOf } from '../demo/mean-sd.js';

const pts = (v: number): string => (v * 100).toFixed(2);
const verdictWord = (v: -1 | 0 | 1): string => (v === 1 ? 'better' : v === -1 ? 'worse' : 'no');

/** What a `null` savings cell means: no random run, random gained nothing, or the curve never got there. */
function savingsGap(evaluation: Evaluation): string {
  const random = evaluation.strategies.find((s) => s.name === 'random');
  if (random === undefined) return 'no random';
  return random.final.mean > random.start.mean ? 'not reached' : 'random gained 0';
}

/**
 * The per-strategy table of an {@link Evaluation}: final accuracy (mean ± sd over seeds), the paired
 * difference against random (points ± sd, and whether it is over two standard errors), label savings, labels.
 */
export function evaluationTable(evaluation: Evaluation): string {
  const header = ['strategy', 'final (%)', 'vs random (pts)', 'significant', 'savings', 'labels'];
  const rows = evaluation.strategies.map((s) => [
    s.name,
    `${pts(s.final.mean)} ± ${pts(s.final.sd)}`,
    s.vsRandom === undefined || s.name === 'random'
      ? '—'
      : `${s.vsRandom.mean >= 0 ? '+' : ''}${pts(s.vsRandom.mean)} ± ${pts(s.vsRandom.sd)}`,
    s.vsRandom === undefined || s.name === 'random'
      ? ''
      : s.vsRandom.z === null
        ? 'n/a'
        : verdictWord(verdictOf(s.vsRandom)),
    s.savings !== null ? `${(s.savings * 100).toFixed(0)} %` : savingsGap(evaluation),
    s.labels.toFixed(0),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
