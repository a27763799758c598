/**
 * A Vite plugin of the `browser` vitest project: serves onnxruntime-web's dist folder (its .wasm and .mjs
 * files) as they are under `/ort/`, the `wasmPaths` the tests give `OnnxWebRuntime`, so Vite's transforms
 * never touch them.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Plugin } from 'vite';

/** Serves `ortDist` (node_modules/onnxruntime-web/dist) under `/ort/`. */
export function ortFiles(ortDist: string): Plugin {
  return {
    name: 'dissonance-ort-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        if (!url.startsWith('/ort/')) return next();
        const name = basename(url.slice(5).split('?')[0] ?? '');
        readFile(join(ortDist, name)).then(
          (body) => {
            res.setHeader('content-type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
            res.setHeader('cross-origin-resource-policy', 'same-origin');
            res.end(body);
          },
          () => next(),
        );
      });
    },
  };
}
