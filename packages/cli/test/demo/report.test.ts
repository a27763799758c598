import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../src/demo/demo-result.js';
import { renderReport } from '../../src/demo/render-report.js';
import { escapeHtml } from '../../src/demo/report-html.js';
import { niceDomain, ticks } from '../../src/demo/report-scale.js';
import { reportResult } from './fixtures/report-result.js';
import { json, parsePoints, scalesFrom, tags, tagsWith, type Tag } from './fixtures/report-html-parse.js';

const html = renderReport(reportResult);

/** The single `<svg data-chart=name>`. */
function chart(name: string): Tag {
  const found = tagsWith(html, 'svg', 'data-chart', name);
  expect(found).toHaveLength(1);
  return found[0] as Tag;
}

/** The translate(x y) of a marker group. */
function translate(tag: Tag): [number, number] {
  const m = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(tag.attrs.transform ?? '');
  if (!m) throw new Error('marker has no translate()');
  return [Number(m[1]), Number(m[2])];
}

describe('renderReport', () => {
  it('is one HTML document with a title naming the dataset, seeds, budget and time', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<html/g)).toHaveLength(1);
    expect(html).toContain('<title>dissonance demo: optdigits (UCI handwritten digits)</title>');
    const meta = /<p class="meta">([^<]*)<\/p>/.exec(html)?.[1] ?? '';
    expect(meta).toContain('3 seeds (11, 23, 37)');
    expect(meta).toContain('label budget 10.0% of the stream');
    expect(meta).toContain('ran in 84.6 s');
    for (const heading of [
      'Accuracy vs labels used',
      'Dissonance distribution per round',
      'Model-version timeline',
      'Policy in force',
    ]) {
      expect(html).toContain(`<h2>${heading}</h2>`);
    }
  });

  it('is self-contained: no scripts, no URLs, no external references', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href|xlink:href)=/i);
    expect(html).not.toMatch(/url\(|@import|@font-face/i);
    expect(html).toContain("default-src 'none'");
  });

  it('is deterministic', () => {
    expect(renderReport(reportResult)).toBe(html);
  });

  it('plots every strategy curve with the exact JSON numbers, mapped through the chart scales', () => {
    const svg = chart('accuracy');
    const scale = scalesFrom(json(svg, 'data-x-domain'), json(svg, 'data-y-domain'), json(svg, 'data-plot-box'));
    expect(svg.attrs.width).toBe('720');
    expect(svg.attrs.height).toBe('360');
    const lines = tagsWith(html, 'polyline', 'data-strategy');
    expect(lines.map((l) => l.attrs['data-strategy'])).toEqual(reportResult.strategies.map((s) => s.name));
    for (const strategy of reportResult.strategies) {
      const line = tagsWith(html, 'polyline', 'data-strategy', strategy.name)[0] as Tag;
      const expected = strategy.curve.map((p) => [p.labels, p.accuracy.mean]);
      expect(json(line, 'data-points')).toEqual(expected);
      const drawn = parsePoints(line.attrs.points ?? '');
      expect(drawn).toHaveLength(expected.length);
      drawn.forEach(([x, y], i) => {
        const [labels, accuracy] = expected[i] as [number, number];
        expect(Math.abs(x - scale.x(labels))).toBeLessThan(0.5);
        expect(Math.abs(y - scale.y(accuracy))).toBeLessThan(0.5);
      });
      const band = tagsWith(html, 'polygon', 'data-strategy', strategy.name)[0] as Tag;
      expect(json(band, 'data-band')).toEqual(
        strategy.curve.map((p) => [p.labels, p.accuracy.mean - p.accuracy.sd, p.accuracy.mean + p.accuracy.sd]),
      );
      const points = tags(html, 'circle').filter((c) => c.attrs['data-strategy'] === strategy.name);
      expect(points.map((c) => [json(c, 'data-labels'), json(c, 'data-accuracy'), json(c, 'data-sd')])).toEqual(
        strategy.curve.map((p) => [p.labels, p.accuracy.mean, p.accuracy.sd]),
      );
    }
    expect(html).toMatch(/class="legend-item" data-strategy="uncertainty"/);
  });

  it('draws one histogram bar per bin with the exact counts, on a panel per round', () => {
    chart('dissonance');
    const panels = tags(html, 'g').filter((g) => g.attrs.class === 'panel');
    expect(panels.map((p) => json(p, 'data-round'))).toEqual(reportResult.rounds.map((r) => r.round));
    const rects = tagsWith(html, 'rect', 'data-bin');
    expect(rects).toHaveLength(reportResult.rounds.reduce((n, r) => n + r.bins.length, 0));
    for (const [i, round] of reportResult.rounds.entries()) {
      const panel = panels[i] as Tag;
      expect(json(panel, 'data-x-domain')).toEqual([0, round.upper]);
      expect(json(panel, 'data-mean')).toBe(round.mean);
      expect(json(panel, 'data-items')).toBe(round.items);
      const scale = scalesFrom(
        json(panel, 'data-x-domain'),
        json(panel, 'data-y-domain'),
        json(panel, 'data-plot-box'),
      );
      const bars = rects.filter((r) => json(r, 'data-round') === round.round);
      expect(bars.map((b) => json(b, 'data-bin'))).toEqual(round.bins.map((_, bin) => bin));
      expect(bars.map((b) => json(b, 'data-count'))).toEqual(round.bins);
      for (const bar of bars) {
        const count = json(bar, 'data-count') as number;
        expect(Math.abs(Number(bar.attrs.y) - scale.y(count))).toBeLessThan(0.5);
        expect(Math.abs(Number(bar.attrs.x) - scale.x(json(bar, 'data-lo') as number))).toBeLessThan(0.5);
      }
    }
  });

  it('marks every version at its round and golden accuracy, by decision, with the champion ringed', () => {
    const svg = chart('timeline');
    const scale = scalesFrom(json(svg, 'data-x-domain'), json(svg, 'data-y-domain'), json(svg, 'data-plot-box'));
    const markers = tags(html, 'g').filter((g) => g.attrs.class === 'marker');
    expect(
      markers.map((m) => [
        m.attrs['data-version'],
        json(m, 'data-round'),
        json(m, 'data-accuracy'),
        m.attrs['data-decision'],
      ]),
    ).toEqual(reportResult.versions.map((v) => [v.version, v.round, v.goldenAccuracy, v.decision]));
    for (const marker of markers) {
      const [x, y] = translate(marker);
      expect(Math.abs(x - scale.x(json(marker, 'data-round') as number))).toBeLessThan(0.5);
      expect(Math.abs(y - scale.y(json(marker, 'data-accuracy') as number))).toBeLessThan(0.5);
    }
    expect(markers.filter((m) => m.attrs['data-champion'] === 'true').map((m) => m.attrs['data-version'])).toEqual([
      'v5',
    ]);
    // ▲ for promoted, ✕ (two strokes) for rejected, ● for the initial model.
    const body = (version: string): string =>
      new RegExp(`data-version="${version}"[^>]*>(.*?)</g>`).exec(html)?.[1] ?? '';
    expect(body('v1')).toMatch(/<circle class="shape"[^>]*fill="#0a5fa8"/);
    expect(body('v2')).toMatch(/<path class="shape" d="M0,-7 L7,7 L-7,7 Z" fill="#1b8a3a"/);
    expect(body('v4')).toMatch(/<path class="shape" d="M-6,-6 L6,6 M6,-6 L-6,6" stroke="#c62828"/);
    expect(body('v4')).toContain('v4 · 86.1%');
    expect(tagsWith(html, 'line', 'data-from').map((l) => [l.attrs['data-from'], l.attrs['data-to']])).toEqual([
      ['v1', 'v2'],
      ['v2', 'v3'],
      ['v3', 'v4'],
      ['v3', 'v5'],
    ]);
  });

  it('has the strategy, version and policy tables with the JSON values', () => {
    const rows = tagsWith(html, 'tr', 'data-final-mean');
    expect(
      rows.map((r) => [
        r.attrs['data-strategy'],
        json(r, 'data-final-mean'),
        json(r, 'data-final-sd'),
        json(r, 'data-labels-used'),
        json(r, 'data-per-seed'),
      ]),
    ).toEqual(reportResult.strategies.map((s) => [s.name, s.final.mean, s.final.sd, s.labelsUsed, s.perSeed]));
    expect(html).toContain('94.7% ± 0.5');
    expect(html).toContain('95.1% · 94.1% · 94.8%');
    const versionRows = tagsWith(html, 'tr', 'data-decision');
    expect(versionRows.map((r) => [r.attrs['data-version'], r.attrs['data-decision']])).toEqual(
      reportResult.versions.map((v) => [v.version, v.decision]),
    );
    expect(html).toContain(escapeHtml(reportResult.versions[3]?.reason ?? '?'));
    const policyRows = tagsWith(html, 'tr', 'data-policy');
    expect(Object.fromEntries(policyRows.map((r) => [r.attrs['data-policy'], json(r, 'data-value')]))).toEqual(
      reportResult.policy,
    );
    for (const text of [
      'mlp-64x32 (seed set only)',
      'logistic-regression, knn-5',
      'totalVariation (mean over critics)',
      'golden 1000 · seed set 100 · stream 4520 · batch 64',
    ]) {
      expect(html).toContain(escapeHtml(text));
    }
  });

  it('renders hostile text inert and keeps it exact in data attributes', () => {
    const evil = '<script>alert("x")</script>';
    const attrBreak = '"><img src=x onerror=alert(1)>';
    const hostile: DemoResult = {
      ...reportResult,
      dataset: `${evil} & co`,
      proposer: attrBreak,
      strategies: reportResult.strategies.map((s, i) =>
        i === 1 ? { ...s, name: `r"and'om${attrBreak}`, label: evil } : s,
      ),
      versions: reportResult.versions.map((v) =>
        v.decision === 'rejected' ? { ...v, version: `v4${attrBreak}`, reason: evil } : v,
      ),
    };
    const out = renderReport(hostile);
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toMatch(/<img/i);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(tagsWith(out, 'polyline', 'data-strategy').map((l) => l.attrs['data-strategy'])).toContain(
      `r"and'om${attrBreak}`,
    );
    expect(
      tags(out, 'g')
        .filter((g) => g.attrs.class === 'marker')
        .map((m) => m.attrs['data-version']),
    ).toContain(`v4${attrBreak}`);
  });

  it('renders empty results with notes instead of charts', () => {
    const out = renderReport({ ...reportResult, strategies: [], rounds: [], versions: [], seeds: [] });
    expect(tagsWith(out, 'svg', 'data-chart')).toHaveLength(0);
    expect(out).toContain('No learning curves in this result.');
    expect(out).toContain('No dissonance rounds in this result.');
    expect(out).toContain('No model versions in this result.');
  });

  it('handles a single point without a degenerate scale', () => {
    const one = reportResult.strategies[0]!;
    const out = renderReport({
      ...reportResult,
      strategies: [{ ...one, curve: [{ labels: 0, accuracy: { mean: 0.5, sd: 0 } }] }],
      versions: reportResult.versions.slice(0, 1),
    });
    const line = tagsWith(out, 'polyline', 'data-strategy')[0] as Tag;
    expect(
      parsePoints(line.attrs.points ?? '')
        .flat()
        .every(Number.isFinite),
    ).toBe(true);
    const marker = tags(out, 'g').find((g) => g.attrs.class === 'marker') as Tag;
    expect(translate(marker).every(Number.isFinite)).toBe(true);
  });
});

describe('report scales', () => {
  it('makes nice domains and ticks', () => {
    expect(niceDomain(0, 452, 6)).toEqual([0, 500]);
    expect(ticks([0, 500], 6)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceDomain(0.79, 0.96, 5)).toEqual([0.75, 1]);
    expect(ticks([0.75, 1], 5)).toEqual([0.75, 0.8, 0.85, 0.9, 0.95, 1]);
    expect(niceDomain(0.5, 0.5)[0]).toBeLessThan(0.5);
  });
});
