import { describe, expect, it } from 'vitest';
import type { DemoResult, StrategyResult } from '../../src/demo/demo-result.js';
import { renderReport } from '../../src/demo/render-report.js';
import { reportResult } from './fixtures/report-result.js';
import { json, tagsWith } from './fixtures/report-html-parse.js';

const ceiling: StrategyResult = {
  name: 'ceiling',
  label: 'every stream label',
  kind: 'baseline',
  seedOnly: { mean: 0.8123, sd: 0.0141 },
  final: { mean: 0.97, sd: 0.004 },
  labelsUsed: 3000,
  perSeed: [0.97, 0.966, 0.974],
  curve: [
    { labels: 0, accuracy: { mean: 0.8123, sd: 0.0141 } },
    { labels: 1500, accuracy: { mean: 0.95, sd: 0.01 } },
    { labels: 3000, accuracy: { mean: 0.97, sd: 0.004 } },
  ],
};

describe('report: the known flaws', () => {
  it('gives the budget range its own panel when a strategy labels every item', () => {
    const html = renderReport({ ...reportResult, strategies: [...reportResult.strategies, ceiling] });
    const [svg] = tagsWith(html, 'svg', 'data-chart', 'accuracy-budget');
    expect(svg).toBeDefined();
    expect((json(svg!, 'data-x-domain') as number[])[1]).toBeLessThan(600);
    const panel = html.slice(html.indexOf('data-chart="accuracy-budget"'));
    const lines = tagsWith(panel.slice(0, panel.indexOf('</svg>')), 'polyline', 'data-strategy');
    expect(lines.map((l) => l.attrs['data-strategy'])).toEqual(reportResult.strategies.map((s) => s.name));
    expect(tagsWith(renderReport(reportResult), 'svg', 'data-chart', 'accuracy-budget')).toEqual([]);
  });

  it('names in the histogram caption only the lines that are on its axis', () => {
    const above = renderReport({ ...reportResult, policy: { ...reportResult.policy, maxDissonance: 2 } });
    expect(above).not.toMatch(/dashed lines: [^.]*max dissonance/);
    expect(above).toContain('Max dissonance 2 is above the axis');
    expect(tagsWith(above, 'line', 'data-threshold', 'max')).toEqual([]);
    const on = renderReport(reportResult);
    expect(on).toMatch(/dashed lines: dissonance threshold 0\.12 and max dissonance 0\.5\./);
  });

  it('prints a disabled bucket as off and a large one with separators, not 1000000000', () => {
    const off = renderReport({ ...reportResult, policy: { ...reportResult.policy, dBudgetPerHour: 1e9 } });
    expect(off).not.toMatch(/>1000000000</);
    expect(off).toMatch(
      /data-policy="dBudgetPerHour"[^>]*><td class="mono">dBudgetPerHour<\/td><td class="num">off<\/td>/,
    );
    const large = renderReport({ ...reportResult, policy: { ...reportResult.policy, dBudgetPerHour: 1e6 } });
    expect(large).toMatch(/<td class="num">1,000,000<\/td>/);
  });

  it('calls a winner (bold) only when the paired difference against random exceeds two standard errors', () => {
    const strategies = reportResult.strategies.map((s): StrategyResult => {
      if (s.name === 'random') return { ...s, perSeed: [0.9, 0.91, 0.92] };
      if (s.name === 'dissonance') return { ...s, perSeed: [0.93, 0.945, 0.95] }; // +3.17 ± 0.29: a winner
      if (s.name === 'uncertainty') return { ...s, perSeed: [0.95, 0.9, 0.925] }; // +0.17 ± 2.9: not a winner
      // +3 points on every seed: no spread measured, so no standard error and no verdict.
      if (s.name === 'no-quarantine') return { ...s, perSeed: [0.93, 0.94, 0.95] };
      return s;
    });
    const result: DemoResult = { ...reportResult, strategies };
    const html = renderReport(result);
    const row = (name: string): string => tagsWith(html, 'tr', 'data-strategy', name)[0]!.attrs['data-wins'] ?? '';
    expect(row('dissonance')).toBe('yes');
    expect(row('uncertainty')).toBe('no');
    expect(row('no-quarantine')).toBe('no');
    expect(row('random')).toBe('no');
    const strong = html.match(/<td class="num strong">[^<]*<\/td>/g) ?? [];
    expect(strong).toHaveLength(2); // the winner's final and its paired difference only
  });
});
