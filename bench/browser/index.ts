/**
 * Browser inference bench: onnxruntime-web on wasm vs WebGPU through `OnnxWebRuntime`, in headless Chromium.
 *
 *   npm run bench:browser -- [--json] [--seconds 1] [--batches 1,1024] [--chromium-path PATH] [--flags "…"] [--real-gpu] [--headed]
 *
 * Model: a seeded 64-128-10 MLP written by `writeOnnxMlp` (the inference bench's proposer). The page is served
 * from localhost, cross-origin isolated (so wasm may use threads), with onnxruntime-web's files from
 * node_modules. For each provider and batch size: `OnnxWebModel.run` (input copied in, probabilities copied
 * back to JavaScript) warmed up, then timed for ≥ `--seconds` per trial, 3 trials; the median ms/batch and
 * rows/s are reported, with WebGPU/wasm speed ratios measured in the same run. The adapter Chromium gave is
 * printed: without a GPU (or without `--real-gpu`) it is SwiftShader, a CPU emulation of a GPU, so WebGPU is
 * expected to lose there. On a machine with a GPU: `--real-gpu` (drops the SwiftShader flags) and, if needed,
 * `--flags "--use-angle=vulkan --enable-features=Vulkan"` or `--chromium-path /opt/google/chrome/chrome`.
 */
import { initMlp, writeOnnxMlp } from '../../packages/core/src/mlp.js';
import { bundlePage, ROOT } from './build-page.js';
import { BASE_ARGS, CHROMIUM, WEBGPU_ARGS } from './chromium-flags.js';
import type { PageApi } from './page.js';
import { startPageServer } from './page-server.js';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { parseArgs } from './args.js';

declare const dissonance: PageApi;

/** One provider × batch measurement. */
interface Row {
  readonly provider: 'wasm' | 'webgpu';
  readonly batch: number;
  readonly msPerBatch: number;
  readonly rowsPerSec: number;
}

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const server = await startPageServer();
server.files.set('/page.js', { body: await bundlePage(join(ROOT, 'bench/browser/page.ts')), type: 'text/javascript' });
server.files.set('/favicon.ico', { body: new Uint8Array(0), type: 'image/x-icon' });
server.files.set('/', {
  body: '<!doctype html><title>loading</title><script type="module" src="/page.js"></script>',
  type: 'text/html',
});
server.files.set('/bench.onnx', {
  body: writeOnnxMlp(initMlp({ inputWidth: 64, hidden: [128], classes: 10, seed: 1 })),
  type: 'application/octet-stream',
});

const launchArgs = [
  ...BASE_ARGS.filter((flag) => !(args.headed && flag === '--headless')),
  ...(args.realGpu ? ['--enable-unsafe-webgpu'] : WEBGPU_ARGS),
  ...args.flags,
];
const browser = await chromium.launch({
  executablePath: args.chromiumPath ?? CHROMIUM,
  args: launchArgs,
  headless: !args.headed,
});
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.title === 'ready');
  log(`chromium ${browser.version()} ${args.chromiumPath ?? CHROMIUM} ${launchArgs.join(' ')}`);
  const result = await page.evaluate(
    async ({ url, batches, seconds }) => {
      const { browser } = dissonance;
      const probe = await browser.probeWebGpu();
      const rows: Array<{ provider: 'wasm' | 'webgpu'; batch: number; msPerBatch: number; rowsPerSec: number }> = [];
      const errors: Record<string, string> = {};
      for (const provider of ['wasm', 'webgpu'] as const) {
        let model;
        try {
          model = await new browser.OnnxWebRuntime({ executionProvider: provider, wasmPaths: '/ort/' }).loadUrl(url);
        } catch (error) {
          errors[provider] = String(error);
          continue;
        }
        for (const batch of batches) {
          const x = new Float32Array(batch * model.inputWidth).map((_, i) => Math.sin(i));
          for (let i = 0; i < 5; i++) await model.run(x, batch);
          const trials: number[] = [];
          for (let t = 0; t < 3; t++) {
            let calls = 0;
            const start = performance.now();
            while (performance.now() - start < seconds * 1000) {
              await model.run(x, batch);
              calls++;
            }
            trials.push((performance.now() - start) / calls);
          }
          trials.sort((a, b) => a - b);
          const ms = trials[1]!;
          rows.push({ provider, batch, msPerBatch: ms, rowsPerSec: (batch * 1000) / ms });
        }
        await model.dispose();
      }
      return {
        probe,
        rows,
        errors,
        crossOriginIsolated: globalThis.crossOriginIsolated,
        threads: dissonance.ort.env.wasm.numThreads ?? null,
        hardwareConcurrency: navigator.hardwareConcurrency,
      };
    },
    { url: `${server.url}/bench.onnx`, batches: args.batches, seconds: args.seconds },
  );
  const ratio = (batch: number): number | null => {
    const wasm = result.rows.find((r: Row) => r.provider === 'wasm' && r.batch === batch);
    const gpu = result.rows.find((r: Row) => r.provider === 'webgpu' && r.batch === batch);
    return wasm === undefined || gpu === undefined ? null : wasm.msPerBatch / gpu.msPerBatch;
  };
  if (args.json) {
    console.log(
      JSON.stringify(
        {
          chromium: browser.version(),
          flags: launchArgs,
          ...result,
          webgpuSpeedup: Object.fromEntries(args.batches.map((b) => [b, ratio(b)])),
        },
        null,
        2,
      ),
    );
  } else {
    console.log(`WebGPU adapter: ${result.probe.available ? result.probe.reason : `none — ${result.probe.reason}`}`);
    console.log(
      `wasm: crossOriginIsolated ${String(result.crossOriginIsolated)}, numThreads ${String(result.threads)}, hardwareConcurrency ${result.hardwareConcurrency}`,
    );
    for (const [provider, error] of Object.entries(result.errors)) console.log(`${provider}: could not load: ${error}`);
    console.log('provider  batch   ms/batch     rows/s');
    for (const r of result.rows) {
      console.log(
        `${r.provider.padEnd(8)} ${String(r.batch).padStart(6)} ${r.msPerBatch.toFixed(3).padStart(10)} ${Math.round(r.rowsPerSec).toLocaleString('en-US').padStart(10)}`,
      );
    }
    for (const batch of args.batches) {
      const r = ratio(batch);
      if (r !== null) console.log(`batch ${batch}: WebGPU is ${r.toPrecision(3)}× wasm's speed (>1: WebGPU faster)`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
