import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hasWebGpu, VERSION } from '../src/index.js';

describe('@dissonance/browser', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('VERSION is the package.json version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('hasWebGpu is false without a navigator', () => {
    vi.stubGlobal('navigator', undefined);
    expect(hasWebGpu()).toBe(false);
  });

  it('hasWebGpu is false when navigator has no gpu', () => {
    vi.stubGlobal('navigator', { userAgent: 'test' });
    expect(hasWebGpu()).toBe(false);
  });

  it('hasWebGpu is true when navigator.gpu exists', () => {
    vi.stubGlobal('navigator', { gpu: {} });
    expect(hasWebGpu()).toBe(true);
  });
});
