import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemsOf } from '../../../src/cli/serve-config/config-problems.js';
import { loadServeConfig, parseServeConfig } from '../../../src/cli/serve-config/load-serve-config.js';

const ROOT = resolve(import.meta.dirname, '../../../../..');
const EXAMPLE = join(ROOT, 'examples/serve/digits.config.json');

/** The problems a config is refused with (fails the test when it is accepted). */
function problems(json: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseServeConfig(json, dir, env);
  } catch (error) {
    const found = problemsOf(error);
    if (found !== undefined) return found;
    throw error;
  }
  throw new Error('the config was accepted');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-config-'));
  writeFileSync(join(dir, 'model.onnx'), 'not read by the parser');
  writeFileSync(join(dir, 'golden.csv'), 'a,label\n1,0\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = {
  model: { name: 'm', onnx: 'model.onnx' },
  critics: [{ kind: 'onnx', path: 'model.onnx' }],
  trainer: { kind: 'none' },
  auth: { kind: 'dev-token', file: 'token' },
};

describe('loadServeConfig', () => {
  it('reads the digits example with every default filled in and paths resolved against its directory', async () => {
    const { config, file } = await loadServeConfig(EXAMPLE, {});
    expect(file).toBe(EXAMPLE);
    expect(config.model.seed).toMatchObject({
      csv: join(ROOT, 'packages/cli/data/digits.csv'),
      label: 'label',
      seed: 1,
      golden: 0.2,
      seedSet: 0.3,
    });
    expect(config.state.dir).toBe(join(ROOT, 'examples/serve/.tmp/digits-state'));
    expect(config.registry).toEqual({ kind: 'file' });
    expect(config.trainer).toMatchObject({ kind: 'threaded', hidden: [64], epochs: 10, warmStart: true });
    expect(config.policy).toEqual({ klEps: 0.25, maxGoldenDrop: 0.015 });
    expect(config.retrain).toEqual({ minExamples: 1, seed: 1 });
    expect(config.rollout).toEqual({ canaryFraction: 0 });
    expect(config.telemetry).toBe(false);
  });

  it('takes the state directory from the environment when it is set', async () => {
    const { config } = await loadServeConfig(EXAMPLE, { DISSONANCE_STATE_DIR: '/srv/state' });
    expect(config.state.dir).toBe('/srv/state');
  });

  it('reports an unreadable file or invalid JSON as one problem at (file)', async () => {
    const missing = await loadServeConfig(join(dir, 'nope.json')).catch((e: unknown) => e);
    expect(problemsOf(missing)).toEqual(['(file): file not found']);
    writeFileSync(join(dir, 'bad.json'), '{ "model": ');
    expect(problemsOf(await loadServeConfig(join(dir, 'bad.json')).catch((e: unknown) => e))?.[0]).toMatch(
      /^\(file\): invalid JSON/,
    );
  });

  it('accepts a minimal config: defaults for the server, registry, detector, labels and telemetry', () => {
    const config = parseServeConfig(minimal, dir, {});
    expect(config.server).toEqual({ port: 8080, host: '127.0.0.1', cors: [], runtime: 'auto' });
    expect(config.model.onnx).toBe(join(dir, 'model.onnx'));
    expect(config.critics).toEqual([{ kind: 'onnx', path: join(dir, 'model.onnx') }]);
    expect(config.detector).toBe('total-variation');
    expect(config.labels).toEqual({ feedback: { retrainEvery: 32, trusted: [], guard: true }, sources: [] });
    expect(config.policy).toBeUndefined();
  });

  it('takes server.threads as a count or auto, and names anything else', () => {
    expect(parseServeConfig({ ...minimal, server: { threads: 'auto' } }, dir, {}).server.threads).toBe('auto');
    expect(parseServeConfig({ ...minimal, server: { threads: 2 } }, dir, {}).server.threads).toBe(2);
    expect(problems({ ...minimal, server: { threads: 0 } })).toEqual([expect.stringMatching(/^server\.threads: /)]);
    expect(problems({ ...minimal, server: { threads: 'fast' } })).toEqual([
      expect.stringMatching(/^server\.threads: /),
    ]);
  });

  it('lists every problem by path, not only the first', () => {
    const found = problems({
      model: { name: 'bad name', onnx: 'missing.onnx' },
      critics: [{ kind: 'lstm' }, { kind: 'onnx' }],
      registry: { kind: 's3' },
      trainer: { kind: 'external', url: 'http://trainer' },
      policy: { klEps: -1 },
      auth: { kind: 'jwks', url: '${JWKS_URL}', issuer: 'i' },
      transports: { kind: 'amqp' },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'auth.url: environment variable JWKS_URL is not set (give it a value, or a default: ${JWKS_URL:-default})',
        expect.stringMatching(/^model\.name: /),
        expect.stringMatching(/^model\.onnx: file not found/),
        'critics.0.kind: must be one of "onnx", "seed", "registry"',
        'critics.1.path: is required',
        'registry.bucket: is required',
        'trainer.url: unknown field',
        `trainer.http: is required unless "broker" is given: the worker's { "url": … }`,
        expect.stringMatching(/^policy\.klEps: /),
        'auth.audience: is required',
        'transports: unknown field',
      ]),
    );
    expect(found).toHaveLength(11);
  });

  it('takes the trainer’s refitBelow and minSteps (whole numbers ≥ 0), left to the trainer’s defaults when absent', () => {
    const withGolden = { ...minimal, golden: { csv: 'golden.csv' } };
    const config = parseServeConfig(
      { ...withGolden, trainer: { kind: 'threaded', refitBelow: 0, minSteps: 300 } },
      dir,
      {},
    );
    expect(config.trainer).toMatchObject({ kind: 'threaded', refitBelow: 0, minSteps: 300 });
    expect(parseServeConfig({ ...withGolden, trainer: { kind: 'threaded' } }, dir, {}).trainer).not.toHaveProperty(
      'refitBelow',
    );
    expect(problems({ ...withGolden, trainer: { kind: 'in-thread', refitBelow: -1, minSteps: 1.5 } })).toEqual([
      expect.stringMatching(/^trainer\.refitBelow: /),
      expect.stringMatching(/^trainer\.minSteps: /),
    ]);
  });

  it('checks what needs another section: seed critics need model.seed, a trainer needs a golden set', () => {
    expect(problems({ ...minimal, critics: [{ kind: 'seed' }], trainer: { kind: 'threaded' } })).toEqual([
      'critics.0.kind: "seed" critics need model.seed (the CSV they are trained on)',
      'golden: trainer "threaded" needs a golden set to validate candidates (golden.csv, or model.seed), or use trainer "none"',
    ]);
    expect(() =>
      parseServeConfig({ ...minimal, trainer: { kind: 'in-thread' }, golden: { csv: 'golden.csv' } }, dir, {}),
    ).not.toThrow();
  });

  it('never prints a substituted value', () => {
    const found = problems(
      { ...minimal, server: { port: '${PORT}' }, security: { encryptionKeys: '${KEYS}', signingKey: '${KEY_FILE}' } },
      { PORT: 'hunter2', KEYS: 'k1:c2VjcmV0', KEY_FILE: 'hunter2.pem' },
    );
    expect(found.map((p) => p.split(':')[0])).toEqual(['server.port', 'security.signingKey']);
    expect(found.join('\n')).not.toMatch(/hunter2|c2VjcmV0/);
  });
});
