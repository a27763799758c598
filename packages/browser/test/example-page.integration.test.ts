/**
 * End to end: the browser example (examples/browser, served by Vite) against the real `dissonance serve`.
 * A person's drawing is simulated with mouse events on the canvas; the page predicts, asks for labels only
 * when the dissonance reaches its threshold, sends them through the uplink, and shows the new model version
 * once the server has retrained on them. A screenshot goes to reports/example-browser.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Debian's Chromium, driven by playwright-core (GPU off: the page runs on wasm). */
const CHROMIUM = process.env.DISSONANCE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'reports', 'example-browser.png');
const RETRAIN_EVERY = 8;

/** Strokes (canvas coordinates, 280×280): digits as a person might draw them, and shapes that are no digit. */
const SHAPES: Record<string, Array<Array<[number, number]>>> = {
  '0': [
    Array.from({ length: 25 }, (_, i): [number, number] => [
      140 + 60 * Math.sin((i / 24) * 2 * Math.PI),
      140 - 95 * Math.cos((i / 24) * 2 * Math.PI),
    ]),
  ],
  '1': [
    [
      [120, 70],
      [150, 40],
      [150, 240],
    ],
  ],
  '2': [
    [
      [70, 80],
      [140, 40],
      [210, 90],
      [70, 240],
      [220, 240],
    ],
  ],
  '3': [
    [
      [70, 50],
      [200, 60],
      [130, 140],
      [210, 190],
      [90, 240],
    ],
  ],
  '4': [
    [
      [170, 240],
      [170, 40],
      [60, 170],
      [225, 170],
    ],
  ],
  '6': [
    [
      [190, 40],
      [90, 140],
      [90, 220],
      [170, 230],
      [180, 160],
      [90, 160],
    ],
  ],
  '7': [
    [
      [70, 50],
      [210, 50],
      [120, 240],
    ],
  ],
  L: [
    [
      [80, 40],
      [80, 240],
      [220, 240],
    ],
  ],
};

describe('the browser example against dissonance serve', () => {
  let dir: string;
  let server: ChildProcess;
  let serverLog = '';
  let vite: ViteDevServer;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dissonance-example-'));
    const tokenFile = join(dir, 'dev-token');
    server = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(ROOT, 'packages/cli/src/cli.ts'),
        'serve',
        '--dataset',
        'digits',
        '--port',
        '0',
        '--dir',
        join(dir, 'state'),
        '--dev-token-file',
        tokenFile,
        '--retrain-every',
        String(RETRAIN_EVERY),
        '--trust',
        'dev',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stderr!.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match !== null) resolve(match[1]!);
      });
      server.on('exit', (code) => reject(new Error(`dissonance serve exited (${code}): ${serverLog}`)));
    });
    process.env.DISSONANCE_SERVER = url;
    process.env.DISSONANCE_TOKEN_FILE = tokenFile;
    vite = await createServer({
      configFile: join(ROOT, 'examples/browser/vite.config.ts'),
      server: { port: 0 },
      logLevel: 'warn',
    });
    await vite.listen();
    base = vite.resolvedUrls!.local[0]!.replace(/\/$/, '');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-gpu',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1000, height: 1060 } });
  });

  afterAll(async () => {
    await browser?.close();
    await vite?.close();
    if (server?.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function open(threshold: number): Promise<void> {
    await page.goto(`${base}/?threshold=${threshold}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  }

  async function draw(shape: string): Promise<{ state: string; dissonance: number; proposer: string }> {
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    for (const stroke of SHAPES[shape]!) {
      const [first, ...rest] = stroke;
      await page.mouse.move(box.x + first![0], box.y + first![1]);
      await page.mouse.down();
      for (const [x, y] of rest) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
      await page.mouse.up();
    }
    await page.waitForFunction(
      () => document.body.dataset.state === 'asking' || document.body.dataset.state === 'agreed',
    );
    return page.evaluate(() => ({
      state: document.body.dataset.state!,
      dissonance: Number(document.getElementById('dissonance')!.textContent),
      proposer: document.getElementById('proposer-top')!.textContent!,
    }));
  }

  it(
    'predicts drawings, asks for labels only above the threshold, delivers them and shows the retrained model',
    { timeout: 300_000 },
    async () => {
      // Threshold 0.2 (the default): the prompt shows exactly when the dissonance reaches it.
      await open(0.2);
      expect(await page.textContent('#model-version')).toBe('digits-proposer v1');
      const runtime = await page.textContent('#runtime');
      expect(runtime).toMatch(/^proposer on wasm: /);
      for (const shape of ['3', '2', 'L', '6']) {
        const seen = await draw(shape);
        console.log(`drew ${shape}: proposer says ${seen.proposer}, dissonance ${seen.dissonance}, ${seen.state}`);
        expect(seen.state).toBe(seen.dissonance >= 0.2 ? 'asking' : 'agreed');
        expect(await page.isVisible('#label-prompt')).toBe(seen.state === 'asking');
        // Clean drawings are read right: the 8×8 down-sampling matches the data set's features.
        if (shape === '3' || shape === '2') expect(seen.proposer).toBe(shape);
        // The server publishes its critic: it runs in the page too and names its class.
        expect(await page.textContent('#critic-title')).toBe('Critic — in this browser (digits-proposer-critic)');
        expect(await page.textContent('#critic-top')).toMatch(/^\d$/);
      }
      // A threshold above the largest possible dissonance: never asked.
      await open(1.01);
      expect((await draw('L')).state).toBe('agreed');
      expect(await page.isVisible('#label-prompt')).toBe(false);

      // Threshold 0: every drawing is asked about; label RETRAIN_EVERY of them.
      await open(0);
      for (const digit of ['0', '1', '4', '7', '0', '1', '4', '7']) {
        expect((await draw(digit)).state).toBe('asking');
        await page.click(`#label-buttons button[data-label="${digit}"]`);
        await page.waitForFunction(() => document.body.dataset.state === 'labelled');
      }
      await page.waitForFunction(
        (n) => /accepted (\d+)/.exec(document.getElementById('uplink-status')!.textContent ?? '')?.[1] === String(n),
        RETRAIN_EVERY,
        {
          timeout: 60_000,
        },
      );
      // The server retrains on the feedback; the page pulls the new champion and shows its version.
      await page.waitForFunction(() => document.getElementById('model-version')!.dataset.version !== '1', undefined, {
        timeout: 150_000,
      });
      const version = await page.getAttribute('#model-version', 'data-version');
      console.log(`server: ${serverLog.trim().split('\n').slice(-3).join(' | ')}`);
      expect(Number(version)).toBeGreaterThan(1);
      expect(await page.textContent('#model-note')).toContain('after a retrain');
      // Back at the default threshold, on the new model: a sloppy 6 for the screenshot.
      await open(0.2);
      expect(await page.getAttribute('#model-version', 'data-version')).toBe(version);
      const six = await draw('6');
      expect(six.state).toBe(six.dissonance >= 0.2 ? 'asking' : 'agreed');
      await mkdir(join(ROOT, 'reports'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`screenshot: ${SCREENSHOT}`);
    },
  );
});
