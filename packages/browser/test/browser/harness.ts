/**
 * The test page's script: bundled by esbuild (see build-page.ts) with @dissonance/core, @dissonance/browser
 * (from source) and onnxruntime-web, and exposed as `window.dissonance` for the tests to drive through
 * `page.evaluate`. Also runs core's storeContract against IndexedDbStore (vitest replaced by vitest-shim.ts).
 */
import * as core from '@dissonance/core';
import * as ort from 'onnxruntime-web';
import * as browser from '../../src/index.js';
import { storeContract } from '../../../core/src/testing/store-contract.js';
import { runRegistered, type ShimResult } from './vitest-shim.js';

/** Runs core's storeContract against IndexedDbStore in this page. */
async function runStoreContract(): Promise<ShimResult[]> {
  storeContract('IndexedDbStore', async ({ capacity }) => {
    const dbName = `contract-${core.randomId()}`;
    const store = await browser.IndexedDbStore.open({ dbName, capacity });
    return {
      store,
      reopen: () => browser.IndexedDbStore.open({ dbName, capacity }),
      cleanup: () => browser.IndexedDbStore.destroy(dbName),
    };
  });
  return runRegistered();
}

const api = { core, browser, ort, runStoreContract };

/** What the page exposes. */
export type PageApi = typeof api;

(globalThis as { dissonance?: PageApi }).dissonance = api;
document.title = 'ready';
