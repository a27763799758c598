/**
 * Built-in trainer vs PyTorch: the same 64→64→10 MLP (ReLU), the same data (the first 1,500 rows of
 * scikit-learn's digits, pixels / 16), the same initial weights and the same batch order, 20 epochs of Adam
 * (lr 1e-3) on mean cross-entropy with batches of 32 — λ = 0 and no KL guard, to compare like with like.
 * Times the training loop only: one warm-up run, then the median of 3, on each side; PyTorch with 1 thread
 * and with its default thread count.
 *
 * Run: npx tsx bench/train/index.ts   (needs the Python venv: bash scripts/python-env.sh)
 * Other sizes, to see where the balance tips: --hidden=512,512 --epochs=5 (defaults: --hidden=64 --epochs=20).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitMlp } from '../../packages/core/src/train/mlp-fit.js';
import { mlpForward } from '../../packages/core/src/train/mlp-forward.js';
import { initMlp } from '../../packages/core/src/train/mlp-init.js';
import { createPrng } from '../../packages/core/src/train/prng.js';
import { hardLabelData } from '../../packages/core/src/train/training-data.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROWS = 1500;
const WIDTH = 64;
const CLASSES = 10;

function flag(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}
const HIDDEN = flag('hidden', '64').split(',').map(Number);
const EPOCHS = Number(flag('epochs', '20'));
const BATCH = 32;
const LR = 1e-3;
const RUNS = 3;
const SEED = 1;

interface TorchRun {
  ms: number[];
  median: number;
  loss: number[];
  accuracy: number;
}

interface TorchResult {
  torch: string;
  defaultThreads: number;
  runs: Record<string, TorchRun>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function loadDigits(): { x: Float32Array; labels: Int32Array } {
  const lines = readFileSync(join(ROOT, 'packages/cli/data/digits.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, ROWS + 1);
  const x = new Float32Array(ROWS * WIDTH);
  const labels = new Int32Array(ROWS);
  lines.forEach((line, r) => {
    const values = line.split(',').map(Number);
    for (let i = 0; i < WIDTH; i++) x[r * WIDTH + i] = values[i]! / 16;
    labels[r] = values[WIDTH]!;
  });
  return { x, labels };
}

/** The batch order fitMlp uses: one index array shuffled in place every epoch by createPrng(seed). */
function batchOrder(seed: number): Int32Array {
  const prng = createPrng(seed);
  const order = Int32Array.from({ length: ROWS }, (_, i) => i);
  const all = new Int32Array(EPOCHS * ROWS);
  for (let e = 0; e < EPOCHS; e++) all.set(prng.shuffle(order), e * ROWS);
  return all;
}

function accuracy(probs: Float32Array, labels: Int32Array): number {
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (probs[r * CLASSES + c]! > probs[r * CLASSES + best]!) best = c;
    if (best === labels[r]) hits++;
  }
  return hits / labels.length;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.split(':')[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function python(): string {
  const lines = execFileSync('bash', [join(ROOT, 'scripts/python-env.sh')], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .split('\n');
  return lines[lines.length - 1]!;
}

function main(): void {
  const { x, labels } = loadDigits();
  const data = hardLabelData(x, labels, WIDTH, CLASSES);
  const initial = initMlp({ inputWidth: WIDTH, hidden: HIDDEN, classes: CLASSES, seed: SEED });

  // TypeScript: one warm-up run, then RUNS timed runs of the training loop.
  const options = { epochs: EPOCHS, batchSize: BATCH, learningRate: LR, seed: SEED } as const;
  fitMlp(initial, data, options);
  const tsTimes: number[] = [];
  let result = fitMlp(initial, data, options);
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    result = fitMlp(initial, data, options);
    tsTimes.push(performance.now() - start);
  }
  const tsAccuracy = accuracy(mlpForward(result.weights, x, ROWS), labels);

  // PyTorch: same data, initial weights and batch order.
  const dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
  let torch: TorchResult;
  try {
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));
    writeFileSync(join(dir, 'y.i32'), new Uint8Array(labels.buffer));
    writeFileSync(join(dir, 'order.i32'), new Uint8Array(batchOrder(SEED).buffer));
    const layers = initial.layers.map((l) => ({
      inputs: l.inputs,
      outputs: l.outputs,
      weight: [...l.weight],
      bias: [...l.bias],
    }));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        rows: ROWS,
        widths: [WIDTH, ...HIDDEN, CLASSES],
        epochs: EPOCHS,
        batchSize: BATCH,
        learningRate: LR,
        runs: RUNS,
        layers,
      }),
    );
    const out = execFileSync(python(), [join(ROOT, 'bench/train/torch_baseline.py'), dir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    torch = JSON.parse(out.trim().split('\n').pop()!) as TorchResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ts = median(tsTimes);
  const one = torch.runs['1']!;
  const many = torch.runs[String(torch.defaultThreads)]!;
  const lossGap = Math.max(...result.loss.map((l, e) => Math.abs(l - one.loss[e]!)));
  const fmt = (ms: number): string => ms.toFixed(1).padStart(10);
  console.log(`machine: ${cpuModel()}, nproc ${availableParallelism()}, node ${process.version}, torch ${torch.torch}`);
  console.log(
    `task: ${WIDTH}→${HIDDEN.join('→')}→${CLASSES} MLP, ${ROWS} rows (digits), ${EPOCHS} epochs, batch ${BATCH}, Adam lr ${LR}, CE only`,
  );
  console.log(`timings: training loop only, median of ${RUNS} after one warm-up run`);
  console.log('');
  console.log('| side                                   |   ms (median) | runs (ms)                 | TS / this |');
  console.log('|----------------------------------------|---------------|---------------------------|-----------|');
  const row = (name: string, ms: number, runs: number[]) =>
    console.log(
      `| ${name.padEnd(38)} | ${fmt(ms)}    | ${runs
        .map((t) => t.toFixed(0))
        .join(', ')
        .padEnd(25)} | ${(ts / ms).toFixed(2).padStart(9)} |`,
    );
  row('TypeScript (fitMlp, float32 params)', ts, tsTimes);
  row('PyTorch, 1 thread', one.median, one.ms);
  row(`PyTorch, default threads (${torch.defaultThreads})`, many.median, many.ms);
  console.log('');
  console.log(
    `final training accuracy: TS ${(tsAccuracy * 100).toFixed(2)}%, PyTorch ${(one.accuracy * 100).toFixed(2)}% (1 thread), ${(many.accuracy * 100).toFixed(2)}% (default)`,
  );
  console.log(
    `epoch loss: first TS ${result.loss[0]!.toFixed(6)} / PyTorch ${one.loss[0]!.toFixed(6)}, last TS ${result.loss[EPOCHS - 1]!.toFixed(6)} / PyTorch ${one.loss[EPOCHS - 1]!.toFixed(6)}, max |Δ| over epochs ${lossGap.toExponential(2)}`,
  );
  console.log(`ratio TS / PyTorch (1 thread) = ${(ts / one.median).toFixed(2)} (target ≤ 2)`);
}

main();
