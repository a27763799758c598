import { describe, expect, it } from 'vitest';
import type { TrainingExample } from '@dissonance/core';
import { createEnvelope, decodeWireFrame, encodeWireFrame, envelopeToJson } from '@dissonance/core/adapter-kit';
import {
  decodeExamples,
  decodeItems,
  decodePredictions,
  decodeProgress,
  encodeExamples,
  encodeItems,
  encodePredictions,
} from '../../src/worker/index.js';

const batch = { x: Float32Array.of(0.1, Math.PI, -1e-30, 3.4e38), rows: 2, ids: ['a', 'b'] };

describe('stage messages', () => {
  it.each([
    [
      'envelope JSON (base64 floats)',
      (payload: unknown): unknown => JSON.parse(envelopeToJson(createEnvelope('p', payload))).payload,
    ],
    [
      'the binary wire frame',
      (payload: unknown): unknown => decodeWireFrame(encodeWireFrame(createEnvelope('p', payload))).payload,
    ],
  ])('carry floats bit for bit through %s, and meta unchanged', (_, wire) => {
    const back = decodePredictions(
      wire(
        encodePredictions(
          {
            batch,
            meta: { seq: 3, round: true, who: 'x' },
            classes: 2,
            probabilities: Float32Array.of(0.25, 0.75, 1, 0),
            versions: ['1', '2'],
          },
          2,
        ),
      ),
    );
    expect(Array.from(back.batch.x)).toEqual(Array.from(batch.x));
    expect(Array.from(back.probabilities)).toEqual([0.25, 0.75, 1, 0]);
    expect(back.versions).toEqual(['1', '2']);
    expect(back.meta).toEqual({ seq: 3, round: true, who: 'x' });
    expect(decodeItems(wire(encodeItems({ batch, meta: {} }, 2))).batch.ids).toEqual(['a', 'b']);
  });

  it('carry training examples (hard and soft targets) exactly', () => {
    const examples: TrainingExample[] = [
      {
        id: 'a',
        x: Float32Array.of(1, 2),
        target: { kind: 'hard', label: 1 },
        weight: 1,
        provenance: { itemId: 'a', origin: 'oracle', dissonance: 0.5, proposerVersion: '3', at: 9 },
      },
      {
        id: 'b',
        x: Float32Array.of(0.1, 0.2),
        target: { kind: 'soft', probs: Float32Array.of(0.3, 0.7) },
        weight: 0.5,
        provenance: { itemId: 'b', origin: 'pseudo', dissonance: 0.1, proposerVersion: '3', at: 9 },
      },
    ];
    const outcome = { examples: 2, unlabelled: 1, blocked: 0, deferred: 0 };
    const back = decodeExamples(
      JSON.parse(JSON.stringify(encodeExamples({ examples, rows: 3, outcome, meta: { seq: 1 } }))),
    );
    expect(back.examples).toEqual(examples);
    expect(back.outcome).toEqual(outcome);
  });

  it.each([
    ['not an object', () => decodeItems(7), /items: must be an object/],
    [
      'a batch whose floats do not fill rows × width',
      () => decodeItems({ batch: { rows: 2, width: 2, x: 'AAAAAA==' }, meta: {} }),
      /expected rows × width/,
    ],
    [
      'meta holding an object',
      () => decodeItems({ batch: { rows: 1, width: 1, x: 'AAAAAA==' }, meta: { deep: {} } }),
      /meta.deep/,
    ],
    [
      'probabilities of the wrong length',
      () =>
        decodePredictions({
          batch: { rows: 1, width: 1, x: 'AAAAAA==' },
          meta: {},
          classes: 2,
          probabilities: 'AAAAAA==',
          versions: ['1'],
        }),
      /expected rows × classes = 2/,
    ],
    [
      'an example with a NaN feature',
      () =>
        decodeExamples({
          examples: [
            {
              id: 'a',
              x: 'AADAfw==',
              target: { kind: 'hard', label: 0 },
              weight: 1,
              provenance: { itemId: 'a', origin: 'oracle', dissonance: 0, proposerVersion: '1', at: 0 },
            },
          ],
          rows: 1,
          outcome: { examples: 1, unlabelled: 0, blocked: 0, deferred: 0 },
          meta: {},
        }),
      /examples\.examples/,
    ],
    [
      'a progress report without a champion',
      () => decodeProgress({ source: 'x', examplesHeld: 1 }),
      /source and champion/,
    ],
  ])('%s → E_ENVELOPE naming the field', (_name, decode, message) => {
    expect(decode).toThrow(message);
    try {
      decode();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('E_ENVELOPE');
    }
  });
});
