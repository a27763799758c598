/**
 * The codec costs of `codec-cost.ts`, measured in a fresh child process: the bench's own process has run every
 * side and broker before it gets there, and its JIT state and heap made those figures 1.2–2× a fresh
 * process's (27 Nov: send path 10.6 µs against 5.3). Run as a script, it prints the costs as JSON.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeWorkload } from './batch-data.js';
import { codecCosts, type CodecCost } from './codec-cost.js';

const SCRIPT = fileURLToPath(import.meta.url);

/** {@link codecCosts} of a `rows` × `width` batch, in a child process of its own. */
export function codecCostsInFreshProcess(rows: number, width: number): CodecCost[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', SCRIPT, String(rows), String(width)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
  });
  return JSON.parse(out) as CodecCost[];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [rows = '32', width = '64'] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(codecCosts(makeWorkload(Number(rows), Number(width)))));
}
