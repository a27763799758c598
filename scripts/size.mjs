#!/usr/bin/env node
// Bundle-size check for the browser: @dissonance/core + @dissonance/browser as a page would ship them
// (everything @dissonance/browser exports, minified and tree-shaken by esbuild, onnxruntime-web left out as the
// peer it is and @opentelemetry/api as core's peer), gzipped with node:zlib. Fails above the budget.
//   npm run size            prints the sizes; exits 1 above 40 kB gzipped
//   npm run size -- --json  the same as JSON
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Budget in bytes, gzipped (40 kB). */
const BUDGET = 40_000;
/** The budgeted entry: everything @dissonance/browser exports, with the parts of @dissonance/core it uses. */
const ENTRY = "export * from '@dissonance/browser';";
/** For information: the same plus the in-page loop (core's engine, which brings zod, p-queue and eventemitter3). */
const WITH_ENGINE =
  "export * from '@dissonance/browser';\nexport { createEngine, totalVariation } from '@dissonance/core';";

async function measure(contents) {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['onnxruntime-web', '@opentelemetry/api'],
    alias: {
      '@dissonance/core': join(ROOT, 'packages/core/src/index.ts'),
      '@dissonance/core/mlp': join(ROOT, 'packages/core/src/mlp.ts'),
      '@dissonance/core/adapter-kit': join(ROOT, 'packages/core/src/adapter-kit/index.ts'),
      '@dissonance/browser': join(ROOT, 'packages/browser/src/index.ts'),
    },
  });
  const code = result.outputFiles[0].contents;
  const byPackage = {};
  for (const [path, { bytesInOutput }] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
    const key = path.startsWith('packages/')
      ? path.split('/').slice(0, 2).join('/')
      : (path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? path);
    if (bytesInOutput > 0) byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
  }
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, byPackage };
}

const browserOnly = await measure(ENTRY);
const withEngine = await measure(WITH_ENGINE);
const ok = browserOnly.gzipped <= BUDGET;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ budget: BUDGET, ok, browser: browserOnly, withEngine }, null, 2));
} else {
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  const show = (title, m) => {
    console.log(title);
    console.log(`  minified ${kb(m.minified)}, gzipped ${kb(m.gzipped)}`);
    for (const [name, bytes] of Object.entries(m.byPackage).sort((a, b) => b[1] - a[1]))
      console.log(`    ${name.padEnd(28)} ${kb(bytes)} minified`);
  };
  show(
    '@dissonance/browser + the @dissonance/core it uses (onnxruntime-web, @opentelemetry/api external):',
    browserOnly,
  );
  console.log(`  budget ${kb(BUDGET)} gzipped: ${ok ? 'ok' : 'OVER BUDGET'}`);
  show("for information, plus core's engine (createEngine, totalVariation) for an in-page loop:", withEngine);
}
process.exitCode = ok ? 0 : 1;
