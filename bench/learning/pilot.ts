import { readFileSync } from 'node:fs';
import { readEvaluationCsv } from '../../packages/cli/src/cli/evaluate-csv.js';
import { runDemo } from '../../packages/cli/src/demo/run-demo.js';
import { DEFAULT_SETTINGS } from '../../packages/cli/src/demo/loop-settings.js';
import { SUITE } from './suite.js';

const [setName, json, strategies, seedsArg] = process.argv.slice(2);
const set = SUITE.find((s) => s.name === setName)!;
const patch = JSON.parse(json ?? '{}');
const settings = { ...DEFAULT_SETTINGS, ...patch, policy: { ...DEFAULT_SETTINGS.policy, ...(patch.policy ?? {}) } };
const data = readEvaluationCsv(readFileSync(set.path, 'utf8'), { label: 'label', source: set.path });
const t0 = performance.now();
const extra: Record<string, string[]> = {};
const result = await runDemo({
  dataset: set.name, data, seeds: Number(seedsArg ?? 3), strategies: (strategies ?? 'random').split(','), settings,
  onRun: (name, seed, run) => {
    const rej = run.versions.filter((v) => v.decision === 'rejected').length;
    (extra[name] ??= []).push(`s${seed}:rej${rej}/${run.versions.length} ` + run.curve.map((c) => (c.accuracy * 100).toFixed(1)).join(' '));
  },
});
const cpu = process.cpuUsage();
console.log(`== ${setName} ${json} ${((performance.now() - t0) / 1000).toFixed(0)}s wall ${((cpu.user + cpu.system) / 1e6).toFixed(0)} cpu-s`);
for (const s of result.strategies) {
  console.log(`${s.name.padEnd(12)} ${(s.final.mean * 100).toFixed(2)} ± ${(s.final.sd * 100).toFixed(2)}  [${s.perSeed.map((v) => (v * 100).toFixed(1)).join(', ')}]`);
  for (const line of extra[s.name] ?? []) console.log('   ', line);
}
