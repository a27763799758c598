import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { browserCommands } from './packages/browser/test/server/commands.js';
import { ortFiles } from './packages/browser/test/server/ort-files.js';

const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Workspace packages resolved from their TypeScript source, so unit tests need no build.
 * Exact-match regexes: `@dissonance/core` must not swallow `@dissonance/core/testing`.
 * The `package` project does not use these: it tests the built, packed tarballs.
 */
const sourceAliases = [
  { find: /^@dissonance\/core$/, replacement: fromRoot('./packages/core/src/index.ts') },
  { find: /^@dissonance\/core\/mlp$/, replacement: fromRoot('./packages/core/src/mlp.ts') },
  { find: /^@dissonance\/core\/adapter-kit$/, replacement: fromRoot('./packages/core/src/adapter-kit/index.ts') },
  { find: /^@dissonance\/core\/testing$/, replacement: fromRoot('./packages/core/src/testing/index.ts') },
  { find: /^@dissonance\/node$/, replacement: fromRoot('./packages/node/src/index.ts') },
  { find: /^@dissonance\/server$/, replacement: fromRoot('./packages/server/src/index.ts') },
  { find: /^@dissonance\/cli$/, replacement: fromRoot('./packages/cli/src/index.ts') },
  { find: /^@dissonance\/browser$/, replacement: fromRoot('./packages/browser/src/index.ts') },
];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: sourceAliases },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['packages/*/test/**/*.test.ts', 'packages/adapters/*/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', '**/*.integration.test.ts', '**/*.browser.test.ts'],
        },
      },
      {
        // Tests that need the Python venv (.venv, scripts/python-env.sh) or other real services.
        resolve: { alias: sourceAliases },
        test: {
          name: 'integration',
          environment: 'node',
          include: ['packages/*/test/**/*.integration.test.ts', 'packages/adapters/*/test/**/*.integration.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', '**/*.browser.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The standing adversarial suite (issue 20): attacks on the HTTP surface, the envelopes and the
        // append-only files, each bounded in time. Runs in `npm test` like every other project.
        resolve: { alias: sourceAliases },
        test: {
          name: 'adversarial',
          environment: 'node',
          include: ['test/adversarial/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Tests that run IN Chromium (Debian's /usr/bin/chromium, driven by playwright; no browser download):
        // IndexedDB, onnxruntime-web (wasm and WebGPU on SwiftShader), the uplink, the signed model pull and the
        // worker trainer, against the real HTTP server of @dissonance/server that the global setup starts.
        resolve: { alias: sourceAliases },
        plugins: [ortFiles(fromRoot('./node_modules/onnxruntime-web/dist'))],
        // onnxruntime-web loads its wasm from `/ort/` (wasmPaths), not through Vite's dependency optimizer.
        optimizeDeps: { exclude: ['onnxruntime-web'] },
        // Cross-origin isolated, so onnxruntime-web's wasm may use threads.
        server: {
          headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
        },
        test: {
          name: 'browser',
          include: ['packages/*/test/**/*.browser.test.ts'],
          globalSetup: ['packages/browser/test/server/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.DISSONANCE_CHROMIUM ?? '/usr/bin/chromium',
                // WebGPU on (on a machine without a GPU Chromium's adapter is SwiftShader); nothing beyond localhost.
                args: [
                  '--disable-quic',
                  '--no-first-run',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--enable-unsafe-webgpu',
                  '--enable-features=Vulkan',
                  '--use-angle=swiftshader',
                  '--use-webgpu-adapter=swiftshader',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
            commands: browserCommands,
          },
        },
      },
      {
        test: {
          name: 'package',
          environment: 'node',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
