import type { DissonanceError } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { loadMlflowAdapter, MLFLOW_ADAPTER_PACKAGE } from '../../src/registry-factory/index.js';

describe('loadMlflowAdapter', () => {
  it('loads the optional @dissonance/adapter-mlflow on demand', async () => {
    const adapter = await loadMlflowAdapter();
    expect(typeof adapter.MlflowRegistry).toBe('function');
    expect(typeof adapter.MlflowTracking).toBe('function');
    expect(typeof adapter.recordEngineRuns).toBe('function');
    expect(new adapter.MlflowRegistry({ url: 'http://127.0.0.1:1' }).name).toBe('mlflow');
    expect(MLFLOW_ADAPTER_PACKAGE).toBe('@dissonance/adapter-mlflow');
  });

  it('rejects with E_CONFIG naming the package to install when it is missing', async () => {
    const error = await expectCode(loadMlflowAdapter('@dissonance/adapter-not-installed'), 'E_CONFIG');
    expect(error.message).toMatch(/npm install @dissonance\/adapter-not-installed/);
    expect((error as DissonanceError).details).toMatchObject({ package: '@dissonance/adapter-not-installed' });
  });

  it('rejects with E_CONFIG a module without the expected exports', async () => {
    const error = await expectCode(loadMlflowAdapter('node:path'), 'E_CONFIG');
    expect(error.message).toMatch(/does not export MlflowRegistry, MlflowTracking, recordEngineRuns/);
  });
});
