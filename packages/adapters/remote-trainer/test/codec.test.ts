import { describe, expect, it } from 'vitest';
import { decodeResult, encodeJob, encodeResult, type TrainingJob } from '../src/index.js';

const job: TrainingJob = {
  jobId: 'j',
  model: 'm',
  baseVersion: '1',
  baseSha256: '',
  width: 2,
  classes: 2,
  ids: ['a'],
  x: Float32Array.from([1, 2]),
  labels: [1],
  targets: Float32Array.from([0, 1]),
  weights: Float64Array.from([1]),
  provenance: ['{}'],
  criticProbs: [],
  reference: new Float32Array(0),
  referenceRows: 0,
  referenceProbs: new Float32Array(0),
  constraints: { dTarget: 0.1, lambdaMax: 1, klEps: 0.05, seed: 1, divergence: 'jensen-shannon' },
  deadlineMs: 0,
};

describe('encodeJob / decodeResult', () => {
  it('refuses a job whose arrays do not match its dimensions (E_INPUT)', () => {
    expect(() => encodeJob({ ...job, x: Float32Array.from([1]) })).toThrow(
      expect.objectContaining({ code: 'E_INPUT' }),
    );
    expect(() => encodeJob({ ...job, inputShape: [3] })).toThrow(/inputShape/);
    expect(() => encodeJob({ ...job, criticProbs: [new Float32Array(3)] })).toThrow(/critic/);
  });

  it('a result round-trips, non-finite report numbers as NaN; a URI-only result has no bytes', () => {
    const onnx = Uint8Array.from([1, 2, 3]);
    const back = decodeResult(
      encodeResult({
        jobId: 'j',
        sha256: 'ff',
        onnx,
        report: {
          loss: [1, Number.POSITIVE_INFINITY],
          kl: 0.5,
          epochs: 3,
          extra: { t: Number.NaN },
          params: { a: 'b', n: 1, ok: true },
        },
      }),
    );
    expect(back).toEqual({
      jobId: 'j',
      sha256: 'ff',
      onnx,
      report: {
        loss: [1, Number.NaN],
        kl: 0.5,
        epochs: 3,
        extra: { t: Number.NaN },
        params: { a: 'b', n: 1, ok: true },
      },
    });
    const uri = decodeResult(encodeResult({ jobId: 'j', sha256: 'ff', uri: 's3://b/k', report: { loss: [] } }));
    expect(uri.onnx).toBeUndefined();
    expect(uri.uri).toBe('s3://b/k');
  });

  it('refuses bytes that are not a result stream (E_TRAINER)', () => {
    expect(() => decodeResult(Uint8Array.from([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'E_TRAINER' }));
    // A job stream is Arrow, but not a result.
    expect(() => decodeResult(encodeJob(job))).toThrow(/dissonance\.format/);
  });
});
