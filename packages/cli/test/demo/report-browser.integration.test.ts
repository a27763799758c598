import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/demo/render-report.js';
import { reportResult } from './fixtures/report-result.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCREENSHOT = join(ROOT, 'reports', 'demo-report.png');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What the page reports about one chart. */
interface ChartInfo {
  readonly name: string;
  readonly visible: boolean;
  readonly width: number;
  readonly height: number;
}

/** A mark's data values and where the browser actually put it, in the SVG's user units. */
interface Placed {
  readonly data: Record<string, unknown>;
  readonly points: [number, number][];
}

describe('the demo report in Chromium', () => {
  let dir: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: run scripts/ensure-chromium.sh (as root) to install the Debian chromium package.`,
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'dissonance-report-'));
    const file = join(dir, 'demo-report.html');
    await writeFile(file, renderReport(reportResult));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: ARGS,
      viewport: { width: 1100, height: 900 },
      deviceScaleFactor: 1,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows all three charts, visible and of sensible size, and loads nothing else', async () => {
    const charts: ChartInfo[] = await page.$$eval('svg[data-chart]', (svgs) =>
      svgs.map((svg) => {
        const r = svg.getBoundingClientRect();
        const style = getComputedStyle(svg);
        return {
          name: svg.getAttribute('data-chart') ?? '',
          visible: style.visibility === 'visible' && style.display !== 'none' && r.width > 0 && r.height > 0,
          width: r.width,
          height: r.height,
        };
      }),
    );
    expect(charts.map((c) => c.name)).toEqual(['accuracy', 'dissonance', 'timeline']);
    for (const c of charts) {
      expect(c.visible, c.name).toBe(true);
      expect(c.width, c.name).toBe(720);
      expect(c.height, c.name).toBeGreaterThanOrEqual(300);
    }
    for (const name of ['accuracy', 'dissonance', 'timeline']) {
      await expect(page.locator(`svg[data-chart="${name}"]`).isVisible()).resolves.toBe(true);
    }
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
  });

  it('draws each strategy polyline where the JSON says, through the chart scale (≤ 0.5 px)', async () => {
    const lines: Placed[] = await page.$$eval('svg[data-chart="accuracy"] polyline[data-strategy]', (els) =>
      els.map((el) => {
        const line = el as SVGPolylineElement;
        return {
          data: {
            strategy: line.getAttribute('data-strategy'),
            points: JSON.parse(line.getAttribute('data-points') ?? 'null') as unknown,
          },
          points: Array.from(line.points, (p) => [p.x, p.y] as [number, number]),
        };
      }),
    );
    const frame = await page.$eval('svg[data-chart="accuracy"]', (svg) => ({
      x: JSON.parse(svg.getAttribute('data-x-domain') ?? 'null') as [number, number],
      y: JSON.parse(svg.getAttribute('data-y-domain') ?? 'null') as [number, number],
      box: JSON.parse(svg.getAttribute('data-plot-box') ?? 'null') as [number, number, number, number],
    }));
    const [bx, by, bw, bh] = frame.box;
    const invertX = (px: number): number => frame.x[0] + ((px - bx) / bw) * (frame.x[1] - frame.x[0]);
    const invertY = (py: number): number => frame.y[0] + ((by + bh - py) / bh) * (frame.y[1] - frame.y[0]);
    const pxPerX = bw / (frame.x[1] - frame.x[0]);
    const pxPerY = bh / (frame.y[1] - frame.y[0]);

    expect(lines.map((l) => l.data.strategy)).toEqual(reportResult.strategies.map((s) => s.name));
    for (const [i, strategy] of reportResult.strategies.entries()) {
      const line = lines[i] as Placed;
      const expected = strategy.curve.map((p) => [p.labels, p.accuracy.mean]);
      expect(line.data.points).toEqual(expected);
      expect(line.points).toHaveLength(expected.length);
      line.points.forEach(([px, py], k) => {
        const [labels, accuracy] = expected[k] as [number, number];
        // Back through the scale to data space, compared in pixels.
        expect(Math.abs(invertX(px) - labels) * pxPerX).toBeLessThanOrEqual(0.5);
        expect(Math.abs(invertY(py) - accuracy) * pxPerY).toBeLessThanOrEqual(0.5);
      });
    }
  });

  it('puts each histogram bar and version marker where the JSON says, as rendered', async () => {
    const bars = await page.$$eval('svg[data-chart="dissonance"] g.panel', (panels) =>
      panels.map((panel) => {
        const svgRect = (panel.closest('svg') as SVGSVGElement).getBoundingClientRect();
        const read = (el: Element, key: string): unknown => JSON.parse(el.getAttribute(key) ?? 'null') as unknown;
        return {
          round: read(panel, 'data-round'),
          xDomain: read(panel, 'data-x-domain') as [number, number],
          yDomain: read(panel, 'data-y-domain') as [number, number],
          box: read(panel, 'data-plot-box') as [number, number, number, number],
          rects: Array.from(panel.querySelectorAll('rect[data-bin]'), (rect) => {
            const r = rect.getBoundingClientRect();
            return {
              round: read(rect, 'data-round'),
              bin: read(rect, 'data-bin') as number,
              count: read(rect, 'data-count') as number,
              lo: read(rect, 'data-lo') as number,
              top: r.top - svgRect.top,
              left: r.left - svgRect.left,
              height: r.height,
            };
          }),
        };
      }),
    );
    expect(bars.map((p) => p.round)).toEqual(reportResult.rounds.map((r) => r.round));
    for (const [i, round] of reportResult.rounds.entries()) {
      const panel = bars[i];
      if (!panel) throw new Error(`no panel for round ${round.round}`);
      expect(panel.rects.map((r) => [r.round, r.bin, r.count])).toEqual(
        round.bins.map((count, bin) => [round.round, bin, count]),
      );
      const [bx, by, bw, bh] = panel.box;
      for (const rect of panel.rects) {
        const y = by + bh - ((rect.count - panel.yDomain[0]) / (panel.yDomain[1] - panel.yDomain[0])) * bh;
        const x = bx + ((rect.lo - panel.xDomain[0]) / (panel.xDomain[1] - panel.xDomain[0])) * bw;
        expect(Math.abs(rect.left - x), `round ${round.round} bin ${rect.bin} x`).toBeLessThanOrEqual(0.5);
        if (rect.count > 0)
          expect(Math.abs(rect.top - y), `round ${round.round} bin ${rect.bin} y`).toBeLessThanOrEqual(0.5);
      }
    }

    const timeline = await page.$eval('svg[data-chart="timeline"]', (svg) => {
      const svgRect = svg.getBoundingClientRect();
      const read = (el: Element, key: string): unknown => JSON.parse(el.getAttribute(key) ?? 'null') as unknown;
      return {
        xDomain: read(svg, 'data-x-domain') as [number, number],
        yDomain: read(svg, 'data-y-domain') as [number, number],
        box: read(svg, 'data-plot-box') as [number, number, number, number],
        markers: Array.from(svg.querySelectorAll('g.marker'), (g) => {
          const shape = (g.querySelector('.shape') as SVGGraphicsElement).getBoundingClientRect();
          return {
            version: g.getAttribute('data-version'),
            round: read(g, 'data-round') as number,
            accuracy: read(g, 'data-accuracy') as number,
            decision: g.getAttribute('data-decision'),
            cx: shape.left + shape.width / 2 - svgRect.left,
            cy: shape.top + shape.height / 2 - svgRect.top,
          };
        }),
      };
    });
    expect(timeline.markers.map((m) => [m.version, m.round, m.accuracy, m.decision])).toEqual(
      reportResult.versions.map((v) => [v.version, v.round, v.goldenAccuracy, v.decision]),
    );
    const [bx, by, bw, bh] = timeline.box;
    for (const m of timeline.markers) {
      const x = bx + ((m.round - timeline.xDomain[0]) / (timeline.xDomain[1] - timeline.xDomain[0])) * bw;
      const y = by + bh - ((m.accuracy - timeline.yDomain[0]) / (timeline.yDomain[1] - timeline.yDomain[0])) * bh;
      expect(Math.abs(m.cx - x), `${m.version} x`).toBeLessThanOrEqual(0.5);
      expect(Math.abs(m.cy - y), `${m.version} y`).toBeLessThanOrEqual(0.5);
    }
  });

  it('saves a full-page screenshot to reports/demo-report.png', async () => {
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
