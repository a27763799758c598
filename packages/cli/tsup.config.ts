import { defineConfig } from 'tsup';

/**
 * Never bundled: onnxruntime-node is a native addon (loaded by @dissonance/node), and the adapters are optional
 * peers, imported only for the command that needs them (`--registry mlflow`, a serve config's `mlflow` or `s3` registry or `external` trainer, `demo-distributed --broker …`).
 */
const external = [
  'onnxruntime-node',
  '@dissonance/adapter-amqp',
  '@dissonance/adapter-mlflow',
  '@dissonance/adapter-nats',
  '@dissonance/adapter-redis',
  '@dissonance/adapter-remote-trainer',
  '@dissonance/adapter-s3',
];

export default defineConfig([
  {
    // The library (runDemo, evaluate, renderReport, runDistributedDemo): ESM + CJS with declarations.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    external,
    // The CJS build needs `import.meta.url` (demo/load-dataset.ts finds the bundled data sets with it).
    shims: true,
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
