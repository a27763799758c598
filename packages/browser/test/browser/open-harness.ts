import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bundlePage, ROOT } from './build-page.js';
import { launchChromium } from './chromium.js';
import { startTestServer, type TestServer } from './test-server.js';

/** A test server serving the harness page, and a Chromium page on it. */
export interface Harness {
  readonly server: TestServer;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors the page logged. */
  readonly pageErrors: string[];
  /** Reloads the page and waits for the harness. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

let bundle: Promise<string> | undefined;

/** Starts the test server and opens the harness page (bundled once per process) in Chromium. */
export async function openHarness(options: { webgpu?: boolean } = {}): Promise<Harness> {
  bundle ??= bundlePage(join(ROOT, 'packages/browser/test/browser/harness.ts'));
  const server = await startTestServer();
  server.files.set('/harness.js', { body: await bundle, type: 'text/javascript' });
  server.files.set('/favicon.ico', { body: new Uint8Array(0), type: 'image/x-icon' });
  server.files.set('/', { body: '<!doctype html><title>loading</title><script type="module" src="/harness.js"></script>', type: 'text/html' });
  const browser = await launchChromium({ webgpu: options.webgpu ?? false });
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  if (process.env.DISSONANCE_PAGE_LOG === '1') page.on('console', (message) => console.log(`[page] ${message.text()}`));
  const ready = async (): Promise<void> => {
    await page.waitForFunction(() => document.title === 'ready');
  };
  await page.goto(server.url);
  await ready();
  return {
    server,
    browser,
    context,
    page,
    pageErrors,
    reload: async () => {
      await page.reload();
      await ready();
    },
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
