import { defineConfig } from 'tsup';

/**
 * Never bundled: onnxruntime-node is a native addon (its binding and provider libraries are found next to its
 * own files), an optional peer loaded lazily, on the first ONNX model.
 */
const external = ['onnxruntime-node'];

export default defineConfig([
  {
    // The library: ESM + CJS, each with its own declarations (.d.ts / .d.cts).
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    external,
    // The CJS build needs `import.meta.url` (onnx/execution-provider.ts finds onnxruntime-node's binding with it).
    shims: true,
  },
  {
    // The trainer thread of threadedTrainer(): ESM only, found next to index.js / index.cjs at run time.
    entry: { 'train-worker': 'src/train/train-worker.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    external,
  },
]);
