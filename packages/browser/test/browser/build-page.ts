import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** onnxruntime-web's dist folder (its .wasm and .mjs files), served under /ort/. */
export const ORT_DIST = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');

/**
 * Bundles `entry` for the browser (ESM, es2022): @dissonance/core and @dissonance/browser from source,
 * onnxruntime-web's browser build, and `vitest` replaced by the in-page shim. Returns the JavaScript.
 */
export async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
    alias: {
      '@dissonance/core': join(ROOT, 'packages/core/src/index.ts'),
      '@dissonance/core/mlp': join(ROOT, 'packages/core/src/mlp.ts'),
      '@dissonance/core/adapter-kit': join(ROOT, 'packages/core/src/adapter-kit/index.ts'),
      '@dissonance/browser': join(ROOT, 'packages/browser/src/index.ts'),
      vitest: join(ROOT, 'packages/browser/test/browser/vitest-shim.ts'),
    },
  });
  return result.outputFiles[0]!.text;
}
