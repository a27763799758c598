import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, readOnnxMlp, writeOnnxMlp } from '../../src/onnx/index.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { randomMlp } from './graphs.js';

/** Runs `read` and asserts that it either succeeds or throws E_MODEL — never another error. */
function modelErrorOrResult(read: () => unknown): 'ok' | 'E_MODEL' {
  try {
    read();
    return 'ok';
  } catch (error) {
    expect((error as { code?: unknown }).code, String(error)).toBe('E_MODEL');
    return 'E_MODEL';
  }
}

const valid = writeOnnxMlp(randomMlp([5, 4, 3], 2));

describe('readOnnxMlp on malformed bytes', () => {
  it('rejects every truncation of a valid model with E_MODEL', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(
        modelErrorOrResult(() => readOnnxMlp(valid.subarray(0, length))),
        `prefix of ${length} bytes`,
      ).toBe('E_MODEL');
    }
    expect(modelErrorOrResult(() => readOnnxMlp(valid))).toBe('ok');
  });

  it('rejects random garbage with E_MODEL (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(modelErrorOrResult(() => readOnnxMlp(bytes))).toBe('E_MODEL');
      }),
      { numRuns: 2000 },
    );
  });

  it('answers E_MODEL or a model for any byte-level mutation of a valid model (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: valid.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const bytes = valid.slice();
          for (const { at, value } of edits) bytes[at] = value;
          modelErrorOrResult(() => readOnnxMlp(bytes));
          modelErrorOrResult(() => decodeOnnxModel(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('answers E_MODEL or a model when random bytes are spliced in (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.uint8Array({ minLength: 1, maxLength: 32 }), (at, insert) => {
        const bytes = new Uint8Array(valid.length + insert.length);
        bytes.set(valid.subarray(0, at));
        bytes.set(insert, at);
        bytes.set(valid.subarray(at), at + insert.length);
        modelErrorOrResult(() => readOnnxMlp(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects huge declared lengths quickly, without allocating them', () => {
    // ModelProto.graph (field 7) claiming 2^50 bytes.
    const huge = Uint8Array.of(0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00);
    const started = performance.now();
    expect(modelErrorOrResult(() => readOnnxMlp(huge))).toBe('E_MODEL');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects empty input with E_MODEL and a non-Uint8Array with E_INPUT', async () => {
    await expectCode(() => readOnnxMlp(new Uint8Array()), 'E_MODEL');
    await expectCode(() => readOnnxMlp('not bytes' as unknown as Uint8Array), 'E_INPUT');
  });
});
