import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createArtifactVerifier,
  createEngine,
  generateSigningKeyPair,
  signArtifact,
  signatureTags,
  type DissonanceError,
  type ModelVersion,
  type SigningKeyPair,
} from '@dissonance/core';
import { initMlp, MlpModel, writeOnnxMlp } from '@dissonance/core/mlp';
import { fetchVerified } from '@dissonance/core/adapter-kit';
import { expectCode, sleep } from '@dissonance/core/testing';
import { OnnxNodeRuntime } from '@dissonance/node';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, MLMODEL_REQUIREMENTS, MlflowRegistry } from '../src/index.js';
import { MlflowCleanup, testName } from './mlflow-cleanup.js';
import { lockMlflowServer } from './mlflow-server-lock.js';
import { venvPython } from './venv-python.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const URL_ = 'http://127.0.0.1:5001';
const PYTHON = venvPython(ROOT);
/** The venv's bin first: `mlflow models serve --env-manager local` runs `uvicorn` from PATH. */
const PY_ENV = { ...process.env, MLFLOW_TRACKING_URI: URL_, PATH: `${dirname(PYTHON)}:${process.env.PATH ?? ''}` };
const cleanup = new MlflowCleanup(URL_);
const EXPERIMENT = cleanup.experiment(testName('models'));
const WIDTH = 6;
const CLASSES = 4;
const ROWS = [
  [0.1, -0.2, 0.3, 0.4, 0.0, 1.0],
  [1.5, 0.5, -1.0, 2.0, -0.5, 0.25],
  [0, 0, 0, 0, 0, 0],
  [-3, 2, 1, 0.5, 4, -2],
];

let release: (() => void) | undefined;
const children: ChildProcess[] = [];
let dir: string;
let keys: SigningKeyPair;
/** The SDK-registered champion: its manifest and the probabilities OnnxNodeRuntime computes for ROWS. */
let champion: ModelVersion;
let nodeProbabilities: number[];

beforeAll(async () => {
  release = await lockMlflowServer(ROOT);
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });
  dir = mkdtempSync(join(tmpdir(), 'mlflow-models-'));
  writeFileSync(join(dir, 'rows.json'), JSON.stringify(ROWS));
  writeFileSync(join(dir, 'rows4.json'), JSON.stringify(ROWS.map((r) => r.slice(0, 4))));
  keys = await generateSigningKeyPair();

  const registry = cleanup.registry({ url: URL_, experimentName: EXPERIMENT });
  const name = testName('champion');
  const artifact = {
    format: 'onnx',
    bytes: writeOnnxMlp(initMlp({ inputWidth: WIDTH, hidden: [10], classes: CLASSES, seed: 11 })),
  };
  const signed = await signArtifact(artifact, keys.privateKey);
  champion = await registry.register({
    name,
    artifact,
    inputWidth: WIDTH,
    classes: CLASSES,
    metrics: { golden_accuracy: 0.9125, kl: 0.0153, loss: 0.25 },
    params: { trainer: 'mlp', seed: 7 },
    tags: { decision: 'accepted', reason: 'golden accuracy up', ...signatureTags(signed.signature) },
    lineage: { parent: '1', examples: 64, dissonanceMean: 0.125 },
  });
  await registry.setAlias(name, 'champion', champion.version, { expected: null });
  const { artifact: fetched } = await registry.fetch(name, champion.version);
  const model = await new OnnxNodeRuntime({ executionProvider: 'cpu' }).load(fetched, champion);
  nodeProbabilities = Array.from(await model.run(Float32Array.from(ROWS.flat()), ROWS.length));
  await model.dispose?.();
}, 300_000);

afterAll(async () => {
  try {
    for (const child of children) stop(child);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    const deleted = await cleanup.sweep();
    console.info(
      `mlflow models: deleted ${deleted.models.length} registered model(s), ${deleted.experiments.length} experiment(s)`,
    );
  } finally {
    release?.();
  }
}, 120_000);

/** Runs scripts/python/mlflow_models_check.py and parses its JSON line. */
function python<T>(...args: string[]): T {
  const stdout = execFileSync(PYTHON, [join(ROOT, 'scripts/python/mlflow_models_check.py'), ...args], {
    cwd: ROOT,
    env: PY_ENV,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? Number.NaN))), 0);
}

/** Stops a process started detached (its own process group), the group first. */
function stop(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function rest<T>(path: string, query: Record<string, string>): Promise<T> {
  const response = await fetch(`${URL_}${path}?${new URLSearchParams(query).toString()}`);
  expect(response.ok, `${path}: ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

describe('a champion registered by the SDK, in MLflow’s own tools', () => {
  it('mlflow.pyfunc.load_model("models:/<name>@champion") predicts the probabilities OnnxNodeRuntime computes', () => {
    const result = python<{
      outputs: Record<string, number[][]>;
      signature: { inputs: unknown; outputs: unknown };
      flavors: string[];
    }>('predict', champion.name, 'champion', join(dir, 'rows.json'));
    expect(Object.keys(result.outputs)).toEqual(['probabilities']);
    const diff = maxDiff(result.outputs.probabilities?.flat() ?? [], nodeProbabilities);
    expect(diff).toBeLessThanOrEqual(1e-5);
    expect(result.flavors).toEqual(['onnx', 'python_function']);
    expect(result.signature).toEqual({
      inputs: [{ name: 'features', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, WIDTH] } }],
      outputs: [{ name: 'probabilities', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, CLASSES] } }],
    });
    console.info(`mlflow pyfunc: max |pyfunc − OnnxNodeRuntime| = ${diff.toExponential(2)}`);
  });

  it('`mlflow models serve -m models:/<name>@champion --env-manager local` answers /invocations with those probabilities', async () => {
    const port = await freePort();
    const server = spawn(
      join(dirname(PYTHON), 'mlflow'),
      [
        'models',
        'serve',
        '-m',
        `models:/${champion.name}@champion`,
        '--env-manager',
        'local',
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
      ],
      { cwd: ROOT, env: PY_ENV, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    children.push(server);
    let log = '';
    server.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
    try {
      const deadline = Date.now() + 90_000;
      while ((await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined))?.ok !== true) {
        if (server.exitCode !== null) throw new Error(`mlflow models serve exited ${server.exitCode}: ${log}`);
        if (Date.now() > deadline) throw new Error(`mlflow models serve did not answer /ping within 90 s: ${log}`);
        await sleep(500);
      }
      const answer = await fetch(`http://127.0.0.1:${port}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: ROWS }),
      });
      expect(answer.ok, log).toBe(true);
      const body = (await answer.json()) as { predictions: { probabilities: number[][] } };
      const diff = maxDiff(body.predictions.probabilities.flat(), nodeProbabilities);
      expect(diff).toBeLessThanOrEqual(1e-5);
      console.info(`mlflow models serve: max |/invocations − OnnxNodeRuntime| = ${diff.toExponential(2)}`);
    } finally {
      stop(server);
    }
  }, 150_000);

  it('the version shows its signature (MLmodel), one tag per fact and a one-line description through the REST API', async () => {
    const { model_version: mv } = await rest<{
      model_version: { source: string; description: string; tags: { key: string; value: string }[] };
    }>('/api/2.0/mlflow/model-versions/get', { name: champion.name, version: champion.version });
    const tags = Object.fromEntries(mv.tags.map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'dissonance.golden_accuracy': '0.9125',
      'dissonance.kl': '0.0153',
      'dissonance.decision': 'accepted',
      'dissonance.reason': 'golden accuracy up',
      'dissonance.parent_version': '1',
      'dissonance.sha256': champion.sha256,
      'dissonance.signature_key': keys.keyId,
      'dissonance.input_width': String(WIDTH),
      'dissonance.classes': String(CLASSES),
      'dissonance.metric.loss': '0.25',
      'dissonance.param.trainer': 'mlp',
      'dissonance.param.seed': '7',
    });
    expect(tags['dissonance.manifest']).toBeUndefined();
    expect(mv.description).not.toMatch(/\n/);
    expect(mv.description).toContain('golden_accuracy 0.9125');
    expect(mv.description).toContain(`signed by ${keys.keyId}`);

    const file = async (path: string): Promise<string> => {
      const response = await fetch(`${URL_}${artifactPath(mv.source)}/${path}`);
      expect(response.ok, path).toBe(true);
      return response.text();
    };
    const mlmodel = await file('MLmodel');
    expect(mlmodel).toMatch(/^ {4}loader_module: mlflow\.onnx$/m);
    expect(mlmodel).toMatch(/^ {2}onnx:$/m);
    const inputs = /^ {2}inputs: (.*)$/m.exec(mlmodel)?.[1] ?? '""';
    expect(JSON.parse(JSON.parse(inputs) as string)).toEqual([
      { name: 'features', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, WIDTH] } },
    ]);
    // requirements.txt pins what scripts/python/requirements.txt pins.
    const pins = readFileSync(join(ROOT, 'scripts/python/requirements.txt'), 'utf8')
      .split('\n')
      .filter((l) => /^(mlflow|numpy|onnx|onnxruntime)==/.test(l));
    expect([...MLMODEL_REQUIREMENTS].sort()).toEqual(pins.sort());
    expect((await file('requirements.txt')).trim().split('\n')).toEqual([...MLMODEL_REQUIREMENTS]);
    expect(await file('python_env.yaml')).toMatch(/-r requirements\.txt/);
    expect(await file('conda.yaml')).toMatch(/onnxruntime==/);
    expect(JSON.parse(await file('input_example.json'))).toEqual([new Array(WIDTH).fill(0)]);

    // The signature and sha256 are verified exactly as before.
    const registry = new MlflowRegistry({ url: URL_ });
    const verifier = createArtifactVerifier({ keys: [keys.publicKey] });
    await expect(fetchVerified(registry, champion.name, champion.version, verifier)).resolves.toMatchObject({
      manifest: champion,
    });
  });

  it('the MLflow UI’s version page shows the signature, the description and the tags (screenshot in reports/)', async (context) => {
    const executablePath = '/usr/bin/chromium';
    if (!existsSync(executablePath)) {
      context.skip(`${executablePath} is missing (scripts/ensure-chromium.sh)`);
      return;
    }
    const browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
      await page.goto(`${URL_}/#/models/${champion.name}/versions/${champion.version}`, { waitUntil: 'load' });
      await page.getByText('Inputs (1)').waitFor({ timeout: 60_000 });
      await page.getByText('Outputs (1)').waitFor({ timeout: 10_000 });
      await page.getByText('golden_accuracy 0.9125', { exact: false }).first().waitFor({ timeout: 10_000 });
      await page.getByText('dissonance.golden_accuracy').first().waitFor({ timeout: 10_000 });
      mkdirSync(join(ROOT, 'reports'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'reports', 'mlflow-version.png') });
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('adopting models logged with MLflow’s Python API', () => {
  it('a model logged by mlflow.onnx.log_model is registered, set as champion, and served by a running engine after a refresh', async () => {
    const name = cleanup.model(testName('adopt'));
    const weights = initMlp({ inputWidth: 4, hidden: [8], classes: 3, seed: 3 });
    const engine = createEngine({
      modelName: name,
      proposer: new MlpModel(weights, { name }),
      critics: [new MlpModel(initMlp({ inputWidth: 4, hidden: [], classes: 3, seed: 4 }), { name: 'critic' })],
      registry: new MlflowRegistry({ url: URL_, experimentName: EXPERIMENT }),
      runtime: new OnnxNodeRuntime({ executionProvider: 'cpu' }),
      signing: { privateKey: keys.privateKey },
      trust: { keys: [keys.publicKey], allowUnsigned: { registry: 'mlflow', models: [name] } },
      policy: { maxDissonance: 1 },
    });
    try {
      await engine.ready();
      expect(engine.championVersion).toBe('1');
      const logged = python<{
        version: string;
        probabilities: number[][];
        pyfunc_keys: string[];
        pyfunc_probabilities: number[][];
      }>('log-onnx', name, EXPERIMENT, join(dir, 'rows4.json'));
      expect(logged.version).toBe('2');
      // mlflow.onnx's pyfunc returns every output of a two-output (label + probabilities) model by name.
      expect(logged.pyfunc_keys).toEqual(['label', 'probabilities']);
      expect(await engine.refreshChampion()).toBe(true);
      expect(engine.championVersion).toBe('2');
      const rows = ROWS.map((r) => r.slice(0, 4));
      const served = await engine.process({
        x: Float32Array.from(rows.flat()),
        rows: rows.length,
        ids: rows.map((_, i) => `row-${i}`),
      });
      const diff = maxDiff(Array.from(served.probabilities), logged.probabilities.flat());
      expect(diff).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(logged.pyfunc_probabilities.flat(), logged.probabilities.flat())).toBeLessThanOrEqual(1e-6);
      const manifest = await new MlflowRegistry({ url: URL_ }).get(name, '2');
      expect(manifest).toMatchObject({
        format: 'onnx',
        inputWidth: 4,
        classes: 3,
        tags: { 'dissonance.adopted': 'mlflow' },
      });
      console.info(`mlflow adoption: max |engine − python onnxruntime| = ${diff.toExponential(2)}`);
      // maxArtifactBytes applies to adopted models, before the download (the artifact proxy lists the size).
      const small = new MlflowRegistry({ url: URL_, maxArtifactBytes: manifest.size - 1 });
      const refused = await expectCode(small.fetch(name, '2'), 'E_INPUT');
      expect((refused as DissonanceError).details).toMatchObject({ field: 'maxArtifactBytes' });
      expect(
        (await new MlflowRegistry({ url: URL_, maxArtifactBytes: manifest.size }).fetch(name, '2')).artifact.bytes,
      ).toHaveLength(manifest.size);

      // Without the allowUnsigned rule, the same trust policy refuses the unsigned adopted champion.
      const strict = createEngine({
        modelName: name,
        proposer: new MlpModel(weights, { name }),
        critics: [new MlpModel(initMlp({ inputWidth: 4, hidden: [], classes: 3, seed: 4 }), { name: 'critic' })],
        registry: new MlflowRegistry({ url: URL_ }),
        runtime: new OnnxNodeRuntime({ executionProvider: 'cpu' }),
        trust: { keys: [keys.publicKey] },
        policy: { maxDissonance: 1 },
      });
      const error = await expectCode(strict.ready(), 'E_ARTIFACT_SIGNATURE');
      expect((error as DissonanceError).details).toMatchObject({ reason: 'unsigned' });
      await strict.stop().catch(() => undefined);
    } finally {
      await engine.stop();
    }
  }, 240_000);

  it('a version without the onnx flavor is refused with E_MODEL naming the flavors found', async () => {
    const name = cleanup.model(testName('sklearn'));
    const { version } = python<{ version: string }>('log-sklearn', name, EXPERIMENT);
    const registry = new MlflowRegistry({ url: URL_ });
    // One call at a time: a second promise made up front would reject unhandled while the first is awaited.
    for (const attempt of [() => registry.get(name, version), () => registry.fetch(name, version)]) {
      const error = await expectCode(attempt(), 'E_MODEL');
      expect(error.message).toMatch(/python_function, sklearn/);
      expect((error as DissonanceError).details).toMatchObject({
        reason: 'flavor',
        flavors: ['python_function', 'sklearn'],
      });
    }
  }, 120_000);
});
