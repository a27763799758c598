import type { DissonanceError } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { loadS3Adapter, S3_ADAPTER_PACKAGE } from '../../../src/cli/serve-config/s3-adapter.js';

describe('loadS3Adapter', () => {
  it('names @dissonance/adapter-s3', () => {
    expect(S3_ADAPTER_PACKAGE).toBe('@dissonance/adapter-s3');
  });

  it('rejects with E_CONFIG naming the package to install when it is missing', async () => {
    const error = await expectCode(loadS3Adapter('@dissonance/adapter-not-installed'), 'E_CONFIG');
    expect(error.message).toMatch(
      /registry "s3" needs the optional package .*npm install @dissonance\/adapter-not-installed/,
    );
    expect((error as DissonanceError).details).toMatchObject({
      package: '@dissonance/adapter-not-installed',
      field: 'registry.kind',
    });
  });

  it('rejects with E_CONFIG a module without S3Registry', async () => {
    const error = await expectCode(loadS3Adapter('node:path'), 'E_CONFIG');
    expect(error.message).toMatch(/does not export S3Registry/);
  });
});
