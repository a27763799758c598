import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvelopeCipher, generateEncryptionKey, isDissonanceError, staticKeyProvider } from '../../src/index.js';
import { checkOnnxArtifact } from '../../src/adapter-kit/index.js';
import { onnxMlp } from './fixtures.js';

const cipher = new EnvelopeCipher(staticKeyProvider([['k1', generateEncryptionKey()]]));

describe('security properties (fast-check)', () => {
  it('seal/open round-trips any bytes; any single-byte change or truncation is E_DECRYPT', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (plain, at, flip) => {
          const sealed = await cipher.seal(plain);
          expect(await cipher.open(sealed)).toEqual(plain);
          const damaged = sealed.slice();
          const i = at % damaged.length;
          damaged[i] = (damaged[i] ?? 0) ^ flip;
          const cut = sealed.subarray(0, at % sealed.length);
          for (const bad of [damaged, cut]) {
            const outcome = await cipher.open(bad).then(
              () => 'opened',
              (error: unknown) => (isDissonanceError(error, 'E_DECRYPT') ? 'E_DECRYPT' : String(error)),
            );
            expect(outcome).toBe('E_DECRYPT');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('checkOnnxArtifact answers any input with acceptance or E_MODEL, never another error', () => {
    const model = onnxMlp();
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      // Mutated real models: deeper into the parser than random bytes get.
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat()).map(([at, flip, cut]) => {
        const bytes = model.slice(0, model.length - (cut % 64));
        const i = at % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ flip;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(inputs, (bytes) => {
        try {
          checkOnnxArtifact(bytes);
        } catch (error) {
          expect(isDissonanceError(error, 'E_MODEL'), String(error)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
