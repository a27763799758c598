import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as source from '../src/errors.js';

type ErrorsModule = typeof source;
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * The ESM and the CJS build of core are two copies of `DissonanceError`. A user whose app loads both (an
 * ESM service with a CJS adapter, say) must still recognise every copy's errors. Needs `npm run build`
 * (the test command builds first).
 */
describe('DissonanceError brand across copies of core', () => {
  it('the ESM and CJS builds recognise each other’s errors, with instanceof and isDissonanceError', async () => {
    const esm = (await import(`${dist}index.js`)) as ErrorsModule;
    const cjs = createRequire(import.meta.url)(`${dist}index.cjs`) as ErrorsModule;
    expect(esm.DissonanceError).not.toBe(cjs.DissonanceError);

    const fromCjs = new cjs.DissonanceError('E_INPUT', 'bad row', { details: { row: 3 } });
    const fromEsm = new esm.DissonanceError('E_MODEL', 'bad model');
    for (const copy of [esm, cjs, source]) {
      expect(fromCjs instanceof copy.DissonanceError).toBe(true);
      expect(fromEsm instanceof copy.DissonanceError).toBe(true);
      expect(copy.isDissonanceError(fromCjs, 'E_INPUT')).toBe(true);
      expect(copy.isDissonanceError(fromCjs, 'E_MODEL')).toBe(false);
      expect(copy.toDissonanceError(fromEsm, 'E_STORE', 'ctx')).toBe(fromEsm);
    }
  });

  it('plain errors and look-alikes are not DissonanceErrors', () => {
    const lookAlike = Object.assign(new Error('E_INPUT: x'), { code: 'E_INPUT', name: 'DissonanceError' });
    expect(lookAlike instanceof source.DissonanceError).toBe(false);
    expect(source.isDissonanceError(lookAlike)).toBe(false);
    expect(source.isDissonanceError(null)).toBe(false);
    expect(source.isDissonanceError('E_INPUT')).toBe(false);
    // The brand is not enumerable: JSON and spreads stay as they were.
    const error = new source.DissonanceError('E_INPUT', 'x');
    expect(Object.keys(error)).not.toContain(Symbol.for('@dissonance/core.DissonanceError'));
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'DissonanceError',
      code: 'E_INPUT',
      message: 'E_INPUT: x',
      details: {},
    });
  });

  it('a subclass keeps the ordinary prototype check', () => {
    class MyError extends source.DissonanceError {}
    expect(new MyError('E_INPUT', 'x') instanceof MyError).toBe(true);
    expect(new source.DissonanceError('E_INPUT', 'x') instanceof MyError).toBe(false);
    expect(new MyError('E_INPUT', 'x') instanceof source.DissonanceError).toBe(true);
  });
});
