import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDissonanceError } from '@dissonance/core';
import { loadConfigFile } from '../src/index.js';

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dissonance-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the parsed JSON', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, JSON.stringify({ policy: { dTarget: 0.12 }, tags: ['a'] }));
    await expect(loadConfigFile(path)).resolves.toEqual({ policy: { dTarget: 0.12 }, tags: ['a'] });
  });

  it('throws E_CONFIG naming the path when the file is missing', async () => {
    const path = join(dir, 'missing.json');
    const error: unknown = await loadConfigFile(path).catch((e: unknown) => e);
    expect(isDissonanceError(error, 'E_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('not found');
    expect((error as { details: unknown }).details).toEqual({ path });
  });

  it('throws E_CONFIG naming the path on invalid JSON', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{ "policy": ');
    const error: unknown = await loadConfigFile(path).catch((e: unknown) => e);
    expect(isDissonanceError(error, 'E_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('invalid JSON');
  });

  it('throws E_CONFIG when the path is a directory', async () => {
    const error: unknown = await loadConfigFile(dir).catch((e: unknown) => e);
    expect(isDissonanceError(error, 'E_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(dir);
  });
});
