import { defineConfig } from 'tsup';

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
  },
  {
    // The `dissonance` bin: ESM only, executable.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
