import type { DissonanceError, ModelRuntime } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import * as remote from '../../../../adapters/remote-trainer/src/index.js';
import { externalTrainer, type ExternalTrainerSpec } from '../../../src/cli/serve-config/external-trainer.js';
import {
  loadRemoteTrainerAdapter,
  REMOTE_TRAINER_PACKAGE,
} from '../../../src/cli/serve-config/remote-trainer-adapter.js';
import { loadS3Adapter } from '../../../src/cli/serve-config/s3-adapter.js';

const runtime: ModelRuntime = { name: 'none', supports: () => false, load: () => Promise.reject(new Error('unused')) };

describe('loadRemoteTrainerAdapter', () => {
  it('names @dissonance/adapter-remote-trainer', () => {
    expect(REMOTE_TRAINER_PACKAGE).toBe('@dissonance/adapter-remote-trainer');
  });

  it('rejects with E_CONFIG naming the package to install when it is missing', async () => {
    const error = await expectCode(loadRemoteTrainerAdapter('@dissonance/adapter-not-installed'), 'E_CONFIG');
    expect(error.message).toMatch(
      /trainer "external" needs the optional package .*npm install @dissonance\/adapter-not-installed/,
    );
    expect((error as DissonanceError).details).toMatchObject({ field: 'trainer.kind' });
  });

  it('rejects with E_CONFIG a module without remoteTrainer', async () => {
    const error = await expectCode(loadRemoteTrainerAdapter('node:path'), 'E_CONFIG');
    expect(error.message).toMatch(/does not export remoteTrainer/);
  });

  it('names trainer.snapshots.s3 when the S3 adapter is missing for snapshots', async () => {
    const error = await expectCode(
      loadS3Adapter('@dissonance/adapter-not-installed', {
        what: 'trainer.snapshots.s3',
        field: 'trainer.snapshots.s3',
      }),
      'E_CONFIG',
    );
    expect(error.message).toMatch(/^E_CONFIG: trainer\.snapshots\.s3 needs the optional package/);
  });
});

describe('externalTrainer', () => {
  const spec: ExternalTrainerSpec = {
    kind: 'external',
    http: { url: 'http://127.0.0.1:8765', headers: { 'x-token': 't' } },
    timeoutMs: 5000,
    retries: 1,
  };

  it('builds remoteTrainer with the http worker, timeouts and retries, named "external"', async () => {
    const calls: remote.RemoteTrainerOptions[] = [];
    const built = await externalTrainer(spec, runtime, {
      remoteTrainer: () =>
        Promise.resolve({
          remoteTrainer: (options: remote.RemoteTrainerOptions) => (calls.push(options), remote.remoteTrainer(options)),
        }),
    });
    expect(built.trainer.name).toBe('external');
    expect(calls[0]).toMatchObject({
      http: { url: 'http://127.0.0.1:8765', headers: { 'x-token': 't' } },
      timeoutMs: 5000,
      retries: 1,
    });
    expect(calls[0]!.snapshots).toBeUndefined();
  });

  it('with a broker, sends jobs over its transport (the adapter loaded on demand) and closes it with the trainer', async () => {
    const { http: _http, ...rest } = spec;
    const calls: remote.RemoteTrainerOptions[] = [];
    const built = await externalTrainer(
      { ...rest, broker: { url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', jobsTopic: 'unit.jobs' } },
      runtime,
      {
        remoteTrainer: () =>
          Promise.resolve({
            remoteTrainer: (options: remote.RemoteTrainerOptions) => (
              calls.push(options),
              remote.remoteTrainer(options)
            ),
          }),
      },
    );
    try {
      expect(calls[0]!.http).toBeUndefined();
      expect(calls[0]!.transport).toMatchObject({ jobsTopic: 'unit.jobs' });
      expect(calls[0]!.transport!.transport.name).toMatch(/redis/);
    } finally {
      await built.close();
    }
  });
});
