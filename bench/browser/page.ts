/**
 * The bench page's script: bundled by esbuild (see build-page.ts) with @dissonance/browser (from source) and
 * onnxruntime-web, and exposed as `window.dissonance` for the bench to drive through `page.evaluate`.
 */
import * as ort from 'onnxruntime-web';
import * as browser from '../../packages/browser/src/index.js';

const api = { browser, ort };

/** What the page exposes. */
export type PageApi = typeof api;

(globalThis as { dissonance?: PageApi }).dissonance = api;
document.title = 'ready';
