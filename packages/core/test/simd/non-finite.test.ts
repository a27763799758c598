import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyNonFinite, anyNonFiniteJs, firstNonFinite, simdKernelsAvailable } from '../../src/simd/non-finite.js';

const naive = (x: Float32Array): boolean => x.some((v) => !Number.isFinite(v));
const root = fileURLToPath(new URL('../../../../', import.meta.url));

describe('anyNonFinite (WebAssembly SIMD kernel)', () => {
  it('runs its WebAssembly SIMD kernel on Node', () => {
    expect(simdKernelsAvailable()).toBe(true);
  });

  it('agrees with a plain scan around the thresholds, the 16-value unroll and the 16,384-value chunks', () => {
    for (const length of [0, 1, 15, 16, 17, 511, 512, 513, 16383, 16384, 16385, 32768, 40001, 65536]) {
      const x = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e30);
      expect(anyNonFinite(x)).toBe(false);
      for (const at of new Set(
        [0, length - 1, length >> 1, 16383, 16384, 15, 16].filter((i) => i >= 0 && i < length),
      )) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const saved = x[at]!;
          x[at] = bad;
          expect(anyNonFinite(x), `length ${length}, ${bad} at ${at}`).toBe(true);
          expect(anyNonFiniteJs(x)).toBe(true);
          x[at] = saved;
        }
      }
    }
  });

  it('agrees with a plain scan on random arrays and views at any offset', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 0, maxLength: 3000 }), fc.nat({ max: 40 }), (values, offset) => {
        const view = values.subarray(Math.min(offset, values.length));
        expect(anyNonFinite(view)).toBe(naive(view));
        expect(anyNonFiniteJs(view)).toBe(naive(view));
      }),
      { numRuns: 300 },
    );
  });

  it('firstNonFinite gives the index of the first NaN or ±Infinity, or -1', () => {
    const x = new Float32Array(40000);
    expect(firstNonFinite(x)).toBe(-1);
    x[30000] = Number.POSITIVE_INFINITY;
    x[20001] = Number.NaN;
    expect(firstNonFinite(x)).toBe(20001);
    expect(firstNonFinite(x.subarray(20002))).toBe(30000 - 20002);
  });

  it('finds extreme finite values finite (largest float32, subnormals, −0)', () => {
    const x = new Float32Array(4096).fill(3.4028234663852886e38);
    x[7] = -3.4028234663852886e38;
    x[100] = 1e-45;
    x[200] = -0;
    expect(anyNonFinite(x)).toBe(false);
  });

  it('ships the module built from kernels.wat (run node scripts/build-wasm-kernels.mjs after editing it)', () => {
    const out = execFileSync(process.execPath, ['scripts/build-wasm-kernels.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('matches');
  });
});
