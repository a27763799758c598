/**
 * Vite config of the browser example (run from the repository root):
 *   npx vite --config examples/browser/vite.config.ts
 * `/v1/*` is proxied to `dissonance serve` (DISSONANCE_SERVER, default http://127.0.0.1:8787), so the page and
 * the API share an origin; `/dev-token` serves the token file the server wrote (DISSONANCE_TOKEN_FILE,
 * development only); `/ort/*` serves onnxruntime-web's wasm files. The workspace packages resolve to their
 * TypeScript sources, so nothing needs building first.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
const SERVER = process.env.DISSONANCE_SERVER ?? 'http://127.0.0.1:8787';
const TOKEN_FILE = process.env.DISSONANCE_TOKEN_FILE ?? join(ROOT, '.tmp/example-browser/dev-token');

/** `/dev-token` and `/ort/*`. */
function devFiles(): Plugin {
  return {
    name: 'dissonance-dev-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        if (url === '/dev-token') {
          let token: string;
          try {
            token = readFileSync(TOKEN_FILE, 'utf8');
          } catch {
            res.statusCode = 503;
            res.end(`no token file at ${TOKEN_FILE}`);
            return;
          }
          res.setHeader('content-type', 'text/plain');
          res.setHeader('cache-control', 'no-store');
          res.end(token);
          return;
        }
        if (url.startsWith('/ort/')) {
          const name = basename(url.slice(5).split('?')[0] ?? '');
          readFile(join(ORT_DIST, name)).then(
            (body) => {
              res.setHeader('content-type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
              res.end(body);
            },
            () => next(),
          );
          return;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  root: HERE,
  plugins: [devFiles()],
  resolve: {
    alias: [
      { find: /^@dissonance\/core$/, replacement: join(ROOT, 'packages/core/src/index.ts') },
      { find: /^@dissonance\/core\/mlp$/, replacement: join(ROOT, 'packages/core/src/mlp.ts') },
      { find: /^@dissonance\/core\/adapter-kit$/, replacement: join(ROOT, 'packages/core/src/adapter-kit/index.ts') },
      { find: /^@dissonance\/browser$/, replacement: join(ROOT, 'packages/browser/src/index.ts') },
    ],
  },
  // onnxruntime-web finds its wasm through wasmPaths ('/ort/'), not through Vite's dependency optimizer.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022' },
  esbuild: { target: 'es2022' },
  server: {
    port: Number(process.env.PORT ?? 5173),
    strictPort: false,
    headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
    proxy: { '/v1': { target: SERVER, changeOrigin: true } },
  },
});
