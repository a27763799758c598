/**
 * Runs code in a fresh document of the test page's origin (a same-origin iframe) with @dissonance/browser
 * imported into it: a new JavaScript realm with its own IndexedDB connections and nothing of the page's
 * memory, as after a page reload. The iframe is removed afterwards, which unloads its document as leaving a
 * page does.
 */
import type * as Browser from '../src/index.js';

/**
 * Runs `fn(browser, arg)` in a fresh realm (see the module comment), like playwright's `page.evaluate`: `fn`
 * is sent as source, so it may use only its parameters and globals; `arg` and the result are structured
 * clones.
 */
export async function inFreshRealm<A, R>(fn: (browser: typeof Browser, arg: A) => Promise<R>, arg: A): Promise<R> {
  const frame = document.createElement('iframe');
  const loaded = new Promise<void>((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
  frame.srcdoc = '<!doctype html><title>fresh realm</title>';
  document.body.append(frame);
  try {
    await loaded;
    const realm = frame.contentWindow as (Window & { eval(code: string): unknown }) | null;
    if (realm === null) throw new Error('the iframe has no window');
    const entry = new URL('../src/index.ts', import.meta.url).href;
    const run = realm.eval(`(async (arg) => (${fn.toString()})(await import(${JSON.stringify(entry)}), arg))`) as (
      arg: A,
    ) => Promise<R>;
    return structuredClone(await run(realm.structuredClone(arg)));
  } finally {
    frame.remove();
  }
}
