/**
 * Where the main thread's time goes in `engine.process` against the SDK's two models alone (issue 18, item 4):
 * runs each workload in a child under `node --cpu-prof` (bench/inference/profile/workload.ts), then prints
 * each function's self time per call, side by side, for the functions above `--min` µs in either. Start-up
 * (module loading, session creation) and V8's warm-up are spread over the calls, in both columns alike;
 * onnxruntime's native `run` appears as its JavaScript caller (onnxruntime-node's `backend.js`), and `(idle)` is
 * the main thread waiting in the event loop.
 *
 *   npx tsx bench/inference/profile/index.ts [--batch 1024] [--seconds 10] [--min 2]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i < 0 ? fallback : Number(argv[i + 1]);
};
const batch = option('--batch', 1024);
const seconds = option('--seconds', 10);
const min = option('--min', 2);

interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time per function (µs, summed over the profile), keyed `name file:line`. */
function selfTimes(profile: CpuProfile): Map<string, number> {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const times = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = frames.get(profile.samples[i]!)!;
    const file = frame.url.split('/').slice(-2).join('/');
    const key = `${frame.functionName || '(anonymous)'} ${file}${file === '' ? '' : `:${frame.lineNumber + 1}`}`;
    times.set(key, (times.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  return times;
}

const workload = fileURLToPath(new URL('./workload.ts', import.meta.url));
const perCall: Record<string, Map<string, number>> = {};
for (const mode of ['engine', 'models']) {
  const dir = mkdtempSync(join(tmpdir(), 'dissonance-profile-'));
  try {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${dir}`, workload, mode, String(batch), String(seconds)],
      { encoding: 'utf8' },
    );
    const { calls } = JSON.parse(out.trim().split('\n').at(-1)!) as { calls: number };
    // One profile per thread (tsx's loader runs on one of its own): the main thread's has the most samples.
    const profiles = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
    const main = profiles.reduce((a, b) => (b.samples.length > a.samples.length ? b : a));
    const times = selfTimes(main);
    perCall[mode] = new Map([...times].map(([k, t]) => [k, t / calls]));
    console.log(`${mode}: ${calls} calls of ${batch} rows in ${seconds} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const engine = perCall.engine!;
const models = perCall.models!;
const keys = [...new Set([...engine.keys(), ...models.keys()])]
  .filter((k) => (engine.get(k) ?? 0) >= min || (models.get(k) ?? 0) >= min)
  .sort((a, b) => (engine.get(b) ?? 0) - (engine.get(a) ?? 0));
console.log(`\nself time, µs per call (${batch} rows)   engine.process   two models`);
for (const k of keys) {
  console.log(
    `${k.slice(0, 44).padEnd(44)} ${(engine.get(k) ?? 0).toFixed(1).padStart(15)} ${(models.get(k) ?? 0).toFixed(1).padStart(12)}`,
  );
}
const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
console.log(`${'total'.padEnd(44)} ${total(engine).toFixed(1).padStart(15)} ${total(models).toFixed(1).padStart(12)}`);
