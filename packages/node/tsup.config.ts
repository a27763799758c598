import { defineConfig } from 'tsup';

/**
 * Never bundled: onnxruntime-node is a native addon (its binding and provider libraries are found next to its
 * own files) and is loaded lazily, on the first ONNX model. @dissonance/adapter-mlflow is an optional peer,
 * imported only for `--registry mlflow` (registry-factory/mlflow-adapter.ts) and a serve config's `"registry": { "kind":
 * "mlflow" }`; @dissonance/adapter-s3 likewise, only for `"kind": "s3"` (cli/serve-config/s3-adapter.ts).
 */
const external = ['onnxruntime-node', '@dissonance/adapter-mlflow', '@dissonance/adapter-s3'];

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
  {
    // The `dissonance` bin: ESM only, executable.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    external,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
