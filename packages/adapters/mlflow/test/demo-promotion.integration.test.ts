import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@dissonance/core/testing';
import { OnnxNodeRuntime } from '@dissonance/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowRegistry, MlflowTracking } from '../src/index.js';
import { MlflowCleanup, testName } from './mlflow-cleanup.js';
import { lockMlflowServer } from './mlflow-server-lock.js';
import { venvPython } from './venv-python.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const URL_ = 'http://127.0.0.1:5001';
/** Every model and experiment the demo creates here is deleted after the test, failed or not. */
const cleanup = new MlflowCleanup(URL_);
const PREFIX = `${testName('promo')}-`;
const MODEL = cleanup.model(`${PREFIX}digits-dissonance-seed1`);
/** Seed 2 runs in the other worker process of the demo. */
const MODEL_SEED2 = cleanup.model(`${PREFIX}digits-dissonance-seed2`);
const EXPERIMENT = cleanup.experiment(testName('demo'));

interface Line {
  readonly event: string;
  readonly version?: string;
  readonly previous?: string;
  readonly reason?: string;
  readonly pid: number;
}

interface DemoJson {
  readonly champion: string;
  readonly versions: readonly { version: string; decision: string; parent?: string }[];
}

/** `node --import tsx <script> …args` from the repository root (tsx resolves @dissonance/* from source). */
function tsx(script: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}tsconfig.json`, DISSONANCE_DEMO_WORKERS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { out: () => string; err: () => string; exited: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-8000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { out: () => out, err: () => err, exited };
}

let release: (() => void) | undefined;
const children: ChildProcess[] = [];
/** What the scenario produced: the demo's JSON result, MLflow's champion alias, and the serving process's lines. */
let demo: DemoJson;
let aliasVersion: string;
let served: Line[];
let serverExit: number | null;

// One scenario, three checks: a serving process (polling the alias every 300 ms) waits for the demo's model,
// then `dissonance demo --registry mlflow` runs (digits, the default strategy: 6 retrains per seed; seeds 1 and 2
// in two worker processes of the CLI, which get the registry choice from it).
beforeAll(async () => {
  release = await lockMlflowServer(ROOT);
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });

  const server = tsx('packages/adapters/mlflow/test/fixtures/serve-champion.ts', [URL_, MODEL, '300']);
  children.push(server);
  const serverIo = collect(server);
  const lines = (): Line[] =>
    serverIo
      .out()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Line);
  await waitFor(() => lines().some((l) => l.event === 'waiting'), 60_000, 'the serving process to start');

  const cli = tsx('packages/cli/src/cli.ts', [
    ...['demo', '--dataset', 'digits', '--seeds', '2', '--strategies', 'dissonance', '--json'],
    ...[
      '--registry',
      'mlflow',
      '--mlflow-uri',
      URL_,
      '--mlflow-experiment',
      EXPERIMENT,
      '--mlflow-model-prefix',
      PREFIX,
    ],
  ]);
  children.push(cli);
  const cliIo = collect(cli);
  const code = await cliIo.exited;
  if (code !== 0) throw new Error(`dissonance demo exited ${code}: ${cliIo.err()}`);
  demo = JSON.parse(cliIo.out()) as DemoJson;

  const answer = await fetch(`${URL_}/api/2.0/mlflow/registered-models/alias?name=${MODEL}&alias=champion`);
  aliasVersion = ((await answer.json()) as { model_version: { version: string } }).model_version.version;
  // Bounded, not timed: the serving process converges within a few refresh intervals.
  await waitFor(
    () =>
      lines()
        .filter((l) => l.event === 'champion')
        .at(-1)?.version === aliasVersion,
    30_000,
    `the serving process to hot-swap to version ${aliasVersion}: ${serverIo.err()}`,
  );
  server.kill('SIGTERM');
  serverExit = await serverIo.exited;
  served = lines();
}, 400_000);

afterAll(async () => {
  try {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cleanup.sweep();
  } finally {
    release?.();
  }
}, 120_000);

describe('dissonance demo --registry mlflow', () => {
  it('a second process serving the champion alias picks up the promotions without restarting and ends on MLflow’s champion', () => {
    const promoted = demo.versions.filter((v) => v.decision === 'promoted').map((v) => v.version);
    expect(promoted.length).toBeGreaterThanOrEqual(2);
    expect(aliasVersion).toBe(demo.champion);

    expect(serverExit).toBe(0);
    expect(new Set(served.map((l) => l.pid)).size).toBe(1); // one process throughout: no restart
    expect(served.filter((l) => l.event === 'ready')).toHaveLength(1);
    expect(served.filter((l) => l.event === 'error')).toEqual([]);
    const ready = served.find((l) => l.event === 'ready')!;
    const swaps = served.filter((l) => l.event === 'champion');
    expect(swaps.length).toBeGreaterThanOrEqual(1);
    // Every version it swapped to is one the demo promoted, in order, each replacing the one it served before.
    let serving = ready.version!;
    for (const swap of swaps) {
      expect(promoted).toContain(swap.version);
      expect(swap.previous).toBe(serving);
      expect(Number(swap.version)).toBeGreaterThan(Number(serving));
      expect(swap.reason).toMatch(/hot-swap/);
      serving = swap.version!;
    }
    expect(served.at(-1)).toMatchObject({ event: 'stopped', version: aliasVersion });
    console.info(
      `demo promoted ${promoted.join(', ')}; the serving process started on ${ready.version} and swapped to ${swaps.map((s) => s.version).join(', ')}`,
    );
  });

  it('records a FINISHED parent run per seed × strategy with per-retrain steps, and nests each version’s run with its loss curve and lineage', async () => {
    const registry = new MlflowRegistry({ url: URL_ });
    const tracking = new MlflowTracking({ url: URL_ });
    const retrains = demo.versions.filter((v) => v.decision !== 'initial');
    const parents = new Set<string>();
    for (const v of demo.versions) {
      const run = await tracking.getRun(await registry.runIdOf(MODEL, v.version));
      expect(run.status).toBe('FINISHED');
      const parent = run.tags['mlflow.parentRunId'];
      expect(parent).toMatch(/^[0-9a-f]{32}$/);
      parents.add(parent!);
      if (v.decision === 'initial') {
        expect(run.tags['dissonance.retrain']).toBe('0');
        continue;
      }
      expect(run.tags).toMatchObject({
        'dissonance.proposer.name': MODEL,
        'dissonance.proposer.version': v.parent,
        'dissonance.lineage.parent': v.parent,
        'dissonance.decision': v.decision === 'rejected' ? 'reject' : 'promote',
      });
      expect(run.tags['dissonance.lineage.traceId']).toMatch(/^[0-9a-f]{32}$/);
      expect(Object.keys(run.tags).filter((k) => /^dissonance\.critic\..+\.version$/.test(k))).toHaveLength(2);
      expect(Object.keys(run.metrics)).toEqual(
        expect.arrayContaining(['golden_accuracy', 'kl', 'dissonance_mean', 'loss', 'train_loss']),
      );
      const loss = await tracking.metricHistory(run.runId, 'train_loss');
      expect(loss.map((p) => p.step)).toEqual(Array.from({ length: loss.length }, (_, i) => i + 1));
      expect(loss.length).toBeGreaterThan(1);
      expect(loss.at(-1)?.value).toBeCloseTo(run.metrics.loss ?? Number.NaN, 6);
    }
    expect(parents.size).toBe(1);
    const parent = await tracking.getRun([...parents][0]!);
    expect(parent).toMatchObject({ status: 'FINISHED', runName: MODEL });
    expect(parent.params).toMatchObject({ dataset: 'digits', strategy: 'dissonance', seed: '1' });
    // The other worker's seed: its own model, champion and parent run.
    const seed2 = await registry.resolve(MODEL_SEED2, 'champion');
    expect(Number(seed2.version)).toBeGreaterThanOrEqual(1);
    const seed2Run = await tracking.getRun(await registry.runIdOf(MODEL_SEED2, seed2.version));
    const seed2Parent = await tracking.getRun(seed2Run.tags['mlflow.parentRunId'] ?? '');
    expect(seed2Parent).toMatchObject({ status: 'FINISHED', runName: MODEL_SEED2, params: { seed: '2' } });
    expect(seed2Parent.tags['dissonance.champion']).toBe(seed2.version);
    expect(parent.tags['dissonance.champion']).toBe(aliasVersion);
    for (const key of [
      'candidate_golden_accuracy',
      'champion_golden_accuracy',
      'kl',
      'dissonance_mean',
      'labels_used',
    ]) {
      const history = await tracking.metricHistory(parent.runId, key);
      expect(
        history.map((p) => p.step),
        key,
      ).toEqual(retrains.map((_, i) => i + 1));
    }
  });

  it('Python loads the demo’s champion through the MLflow client and onnxruntime gives the SDK’s outputs (≤ 1e-5)', async () => {
    const registry = new MlflowRegistry({ url: URL_ });
    const { manifest, artifact } = await registry.fetch(MODEL, aliasVersion);
    const rows = Array.from({ length: 5 }, (_, r) =>
      Array.from({ length: manifest.inputWidth }, (_, c) => ((r * 7 + c * 3) % 17) / 16),
    );
    const model = await new OnnxNodeRuntime({ executionProvider: 'cpu' }).loadBytes(artifact.bytes, {
      inputWidth: manifest.inputWidth,
      classes: manifest.classes,
    });
    const expected = await model.run(Float32Array.from(rows.flat()), rows.length);
    await model.dispose?.();

    const dir = mkdtempSync(join(tmpdir(), 'mlflow-demo-check-'));
    try {
      writeFileSync(join(dir, 'rows.json'), JSON.stringify(rows));
      const stdout = execFileSync(
        venvPython(ROOT),
        [join(ROOT, 'scripts/python/mlflow_check.py'), MODEL, 'champion', join(dir, 'rows.json')],
        {
          cwd: ROOT,
          env: { ...process.env, MLFLOW_TRACKING_URI: URL_ },
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        version: string;
        run_status: string;
        outputs: number[][];
        metrics: Record<string, number>;
        tags: Record<string, string>;
      };
      expect(result.version).toBe(aliasVersion);
      expect(result.run_status).toBe('FINISHED');
      const actual = result.outputs.flat();
      expect(actual).toHaveLength(expected.length);
      const maxDiff = actual.reduce((max, value, i) => Math.max(max, Math.abs(value - (expected[i] ?? Number.NaN))), 0);
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
      expect(Object.keys(result.metrics)).toEqual(
        expect.arrayContaining(['golden_accuracy', 'kl', 'dissonance_mean', 'loss', 'train_loss']),
      );
      expect(result.tags).toMatchObject({
        'dissonance.sha256': manifest.sha256,
        'dissonance.lineage.parent': manifest.lineage.parent,
      });
      console.info(`demo champion ${aliasVersion}: max |python ort − OnnxNodeRuntime| = ${maxDiff.toExponential(2)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
