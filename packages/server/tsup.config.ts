import { defineConfig } from 'tsup';

/**
 * The library, ESM + CJS, each with its own declarations (.d.ts / .d.cts). Dependencies stay external (tsup's
 * default); the OpenTelemetry SDK and exporters are loaded by dynamic import only when telemetry is set up.
 */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'node',
});
