import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // Runs in browsers (and in Node for tests/SSR): no Node built-ins, no DOM assumptions at import time.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
  },
  {
    // The module Web Worker of workerTrainer(): ESM, self-contained (core bundled in), next to index.js.
    entry: { 'train-worker': 'src/train/train-worker.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    noExternal: [/.*/],
  },
]);
