import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      mlp: 'src/mlp.ts',
      'adapter-kit': 'src/adapter-kit/index.ts',
      testing: 'src/testing/index.ts',
    },
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['vitest', '@opentelemetry/api'],
  },
  {
    // p-queue is ESM-only; the CJS build bundles it so `require('@dissonance/core')` never loads ESM.
    entry: {
      index: 'src/index.ts',
      mlp: 'src/mlp.ts',
      'adapter-kit': 'src/adapter-kit/index.ts',
      testing: 'src/testing/index.ts',
    },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['vitest', '@opentelemetry/api', 'zod', 'eventemitter3'],
    noExternal: ['p-queue', 'p-timeout'],
  },
]);
