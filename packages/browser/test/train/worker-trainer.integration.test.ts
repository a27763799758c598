import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePage, ROOT } from '../browser/build-page.js';
import { launchChromium } from '../browser/chromium.js';
import { startTestServer, type TestServer } from '../browser/test-server.js';
import type { RetrainPageApi } from './retrain-page.js';

declare const retrainPage: RetrainPageApi;

/** Seconds of serving per run: a fit of the scenario takes a few seconds on a busy 2-core machine. */
const SECONDS = 20;

describe('workerTrainer in Chromium: retraining causes no long task on the main thread', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const [script, worker] = await Promise.all([
      bundlePage(join(ROOT, 'packages/browser/test/train/retrain-page.ts')),
      bundlePage(join(ROOT, 'packages/browser/src/train/train-worker.ts')),
    ]);
    server = await startTestServer();
    server.files.set('/retrain.js', { body: script, type: 'text/javascript' });
    server.files.set('/train-worker.js', { body: worker, type: 'text/javascript' });
    server.files.set('/favicon.ico', { body: new Uint8Array(0), type: 'image/x-icon' });
    server.files.set('/', { body: '<!doctype html><title>loading</title><script type="module" src="/retrain.js"></script>', type: 'text/html' });
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.title === 'ready');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    expect(pageErrors).toEqual([]);
  });

  it('with the trainer in a module Web Worker: retrains complete and no task over 50 ms runs on the main thread', async () => {
    const result = await page.evaluate((seconds) => retrainPage.runRetrainLoad({ seconds, mode: 'worker' }), SECONDS);
    console.log(`worker trainer: ${result.retrains} retrains, ${result.settled} settled, ${result.batches} batches, long tasks ${JSON.stringify(result.longTasks)}`);
    expect(result.errors).toEqual([]);
    expect(result.retrains).toBeGreaterThanOrEqual(1);
    expect(result.longTasks.filter((task) => task.duration > 50)).toEqual([]);
  }, 180_000);

  it('the same load with the trainer on the main thread does show long tasks (the observer sees them)', async () => {
    const result = await page.evaluate((seconds) => retrainPage.runRetrainLoad({ seconds, mode: 'main' }), SECONDS / 2);
    console.log(`main-thread trainer: ${result.retrains} retrains, ${result.batches} batches, ${result.longTasks.length} long tasks, longest ${Math.max(0, ...result.longTasks.map((t) => t.duration))} ms`);
    expect(result.longTasks.length).toBeGreaterThan(0);
  }, 180_000);

  it('a worker that cannot start fails its fit with E_TRAINER', async () => {
    expect(await page.evaluate(() => retrainPage.fitWithMissingWorker())).toBe('E_TRAINER 1');
  }, 60_000);
});
