import { MemoryRegistry } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDemoArgs } from '../../src/demo/demo-command.js';
import { demoModelName, openDemoRegistry } from '../../src/demo/demo-registry.js';
import { FileRegistry } from '@dissonance/node';
import { runCliAsync } from '../../src/run-cli.js';
import { tempDir } from '../../../node/test/files/fixtures/temp-dir.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('demo --registry', () => {
  it('parses --registry mlflow and its options into a registry choice', () => {
    const parsed = parseDemoArgs([
      ...['--registry', 'mlflow', '--mlflow-uri', 'http://127.0.0.1:5001/', '--mlflow-experiment', 'exp one'],
      ...['--mlflow-model-prefix', 'nightly-'],
    ]);
    expect(typeof parsed).not.toBe('string');
    expect(parsed).toMatchObject({
      options: {
        registry: { kind: 'mlflow', uri: 'http://127.0.0.1:5001', experiment: 'exp one', modelPrefix: 'nightly-' },
      },
    });
    expect((parseDemoArgs([]) as { options: object }).options).not.toHaveProperty('registry');
    expect((parseDemoArgs(['--registry', 'file']) as { options: object }).options).not.toHaveProperty('registry');
  });

  it('takes the server from MLFLOW_TRACKING_URI when --mlflow-uri is absent', () => {
    vi.stubEnv('MLFLOW_TRACKING_URI', 'https://mlflow.example.com');
    expect(parseDemoArgs(['--registry', 'mlflow'])).toMatchObject({
      options: { registry: { kind: 'mlflow', uri: 'https://mlflow.example.com' } },
    });
  });

  it('refuses bad registry options with a message', () => {
    vi.stubEnv('MLFLOW_TRACKING_URI', '');
    const cases: Array<[string[], RegExp]> = [
      [['--registry', 'mlflow'], /needs --mlflow-uri/],
      [['--registry', 'redis'], /unknown registry "redis"/],
      [['--registry'], /--registry needs a value/],
      [['--mlflow-uri', 'http://h:5001'], /--mlflow-uri needs --registry mlflow/],
      [['--mlflow-model-prefix', 'p-'], /--mlflow-model-prefix needs --registry mlflow/],
      [['--registry', 'mlflow', '--mlflow-uri', 'ftp://h'], /must be an http\(s\) URL/],
      [['--registry', 'mlflow', '--mlflow-uri', 'http://h', '--mlflow-model-prefix', 'a/b'], /may hold letters/],
      [['--registry', 'mlflow', '--mlflow-uri', 'http://h', '--mlflow-experiment', ' '], /must not be empty/],
    ];
    for (const [argv, message] of cases) expect(parseDemoArgs(argv), argv.join(' ')).toMatch(message);
  });

  it('exits 2 with usage on a bad registry option', async () => {
    let err = '';
    const code = await runCliAsync(['demo', '--registry', 'nope'], { out: () => undefined, err: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/unknown registry "nope"/);
  });

  it('names one model per seed × strategy: prefix + data set + strategy + seed', () => {
    expect(demoModelName('dissonance-demo-', 'digits', 'random', 3)).toBe('dissonance-demo-digits-random-seed3');
    expect(demoModelName('', 'breast_cancer', 'dissonance', 1)).toBe('breast_cancer-dissonance-seed1');
    expect(() => demoModelName('x'.repeat(190), 'digits', 'random', 1)).toThrow(/not a valid registry name/);
  });

  it('keeps the default: a file registry under the run directory (memory without one), model <dataset>-proposer', async () => {
    const inMemory = await openDemoRegistry(undefined, { dataset: 'digits', strategy: 'random', seed: 1 });
    expect(inMemory.registry).toBeInstanceOf(MemoryRegistry);
    expect(inMemory.modelName).toBe('digits-proposer');
    const dir = await tempDir('demo-registry');
    try {
      const onDisk = await openDemoRegistry(
        { kind: 'file' },
        { dataset: 'digits', strategy: 'random', seed: 1, dir: dir.path },
      );
      expect(onDisk.registry).toBeInstanceOf(FileRegistry);
      const end = await onDisk.track({ on: () => undefined, off: () => undefined, championVersion: '1' } as never, {
        critics: () => [],
        stepMetrics: () => ({}),
      });
      await expect(end(true)).resolves.toBeUndefined();
    } finally {
      await dir.remove();
    }
  });

  it('opens MLflow through the optional adapter, one model per seed × strategy', async () => {
    const opened = await openDemoRegistry(
      { kind: 'mlflow', uri: 'http://127.0.0.1:1', modelPrefix: 'p-' },
      { dataset: 'digits', strategy: 'dissonance', seed: 2 },
    );
    expect(opened.registry.name).toBe('mlflow');
    expect(opened.modelName).toBe('p-digits-dissonance-seed2');
    await expectCode(
      openDemoRegistry(
        { kind: 'mlflow', uri: 'http://h', modelPrefix: 'y'.repeat(200) },
        { dataset: 'digits', strategy: 'a', seed: 1 },
      ),
      'E_CONFIG',
    );
  });
});
