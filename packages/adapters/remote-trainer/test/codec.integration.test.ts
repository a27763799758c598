import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeResult, encodeJob, type TrainingJob } from '../src/index.js';
import { hasPython, python, pythonEnv } from './worker.js';

const dir = mkdtempSync(join(tmpdir(), 'remote-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a Python snippet (the project's venv, `python/src` on the path) and parses its stdout as JSON. */
function py(code: string): unknown {
  return JSON.parse(execFileSync(python, ['-c', code], { env: pythonEnv(), encoding: 'utf8' }));
}

const job: TrainingJob = {
  jobId: 'job-1',
  model: 'digits',
  baseVersion: '7',
  baseSha256: 'ab'.repeat(32),
  width: 4,
  classes: 3,
  inputShape: [1, 2, 2],
  ids: ['a', 'b', 'é'],
  x: Float32Array.from([0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, -1, -2, -3, -4]),
  labels: [2, null, 0],
  targets: Float64Array.from([0, 0, 1, 0.25, 0.25, 0.5, 1, 0, 0]),
  weights: Float64Array.from([1, 0.5, 2]),
  provenance: ['{"itemId":"a"}', '{"itemId":"b"}', '{"itemId":"é"}'],
  criticProbs: [
    Float32Array.from([0.1, 0.2, 0.7, 0.3, 0.3, 0.4, 0.8, 0.1, 0.1]),
    Float32Array.from([0.2, 0.2, 0.6, 0.5, 0.25, 0.25, 0.9, 0.05, 0.05]),
  ],
  reference: Float32Array.from([5, 6, 7, 8, 9, 10, 11, 12]),
  referenceRows: 2,
  referenceProbs: Float32Array.from([0.2, 0.2, 0.6, 0.1, 0.8, 0.1]),
  constraints: { dTarget: 0.12, lambdaMax: 1e-7, klEps: 0.05, seed: 42, divergence: 'hellinger' },
  deadlineMs: 1_900_000_000_123,
};

describe.skipIf(!hasPython)('the Arrow job and result streams against the Python package', () => {
  it('a job encoded here is read by dissonance_trainer.snapshot.read_job, every field intact', () => {
    const path = join(dir, 'job.arrow');
    writeFileSync(path, encodeJob(job));
    const read = py(`
import json
from dissonance_trainer.snapshot import read_job
j = read_job(open(${JSON.stringify(path)}, 'rb').read())
s, c = j.snapshot, j.constraints
print(json.dumps(dict(job_id=j.job_id, model=j.model, base_version=j.base_version, base_sha256=j.base_sha256,
  width=j.width, classes=j.classes, input_shape=list(j.input_shape), ids=s.ids, features=s.features.tolist(),
  targets=s.targets.tolist(), targets_dtype=str(s.targets.dtype), weights=s.weights.tolist(), provenance=s.provenance,
  critic_probs=j.critic_probs.tolist(), reference=j.reference.tolist(), reference_probs=j.reference_probs.tolist(),
  constraints=dict(d_target=c.d_target, lambda_max=c.lambda_max, kl_eps=c.kl_eps, seed=c.seed, divergence=c.divergence),
  deadline_ms=j.deadline_ms)))
`) as Record<string, unknown>;
    const f32 = (values: ArrayLike<number>, width: number): number[][] =>
      Array.from({ length: values.length / width }, (_, i) =>
        Array.from(Float32Array.from(values).subarray(i * width, (i + 1) * width)),
      );
    expect(read).toEqual({
      job_id: 'job-1',
      model: 'digits',
      base_version: '7',
      base_sha256: 'ab'.repeat(32),
      width: 4,
      classes: 3,
      input_shape: [1, 2, 2],
      ids: ['a', 'b', 'é'],
      features: f32(job.x, 4),
      // One soft row: every row's targets come back as distributions (the hard ones one-hot).
      targets: f32(job.targets, 3),
      targets_dtype: 'float32',
      weights: [1, 0.5, 2],
      provenance: [...job.provenance],
      critic_probs: job.criticProbs.map((c) => f32(c, 3)),
      reference: f32(job.reference, 4),
      reference_probs: f32(job.referenceProbs, 3),
      constraints: { d_target: 0.12, lambda_max: 1e-7, kl_eps: 0.05, seed: 42, divergence: 'hellinger' },
      deadline_ms: 1_900_000_000_123,
    });
  });

  it('all-hard targets are read as int64 labels, and a job without critics or reference rows is valid', () => {
    const path = join(dir, 'hard.arrow');
    writeFileSync(
      path,
      encodeJob({
        ...job,
        labels: [2, 1, 0],
        targets: Float64Array.from([0, 0, 1, 0, 1, 0, 1, 0, 0]),
        criticProbs: [],
        reference: new Float32Array(0),
        referenceRows: 0,
        referenceProbs: new Float32Array(0),
        inputShape: undefined,
      }),
    );
    const read = py(`
import json
from dissonance_trainer.snapshot import read_job
j = read_job(open(${JSON.stringify(path)}, 'rb').read())
print(json.dumps(dict(targets=j.snapshot.targets.tolist(), dtype=str(j.snapshot.targets.dtype), critics=list(j.critic_probs.shape), reference=list(j.reference.shape), input_shape=list(j.input_shape))))
`);
    expect(read).toEqual({
      targets: [2, 1, 0],
      dtype: 'int64',
      critics: [0, 3, 3],
      reference: [0, 4],
      input_shape: [4],
    });
  });

  it('the schema is the one python/tests pin (job_schema), field for field', () => {
    const path = join(dir, 'schema.arrow');
    writeFileSync(path, encodeJob(job));
    const same = py(`
import json, pyarrow as pa
from dissonance_trainer.snapshot import job_schema
got = pa.ipc.open_stream(open(${JSON.stringify(path)}, 'rb').read()).schema
want = job_schema(4, 3, 2)
print(json.dumps([[f.name, str(f.type), f.nullable] for f in got] == [[f.name, str(f.type), f.nullable] for f in want]))
`);
    expect(same).toBe(true);
  });

  it('a result written by dissonance_trainer.result_codec.write_result decodes here', () => {
    const path = join(dir, 'result.arrow');
    py(`
from dissonance_trainer import TrainingResult, TrainReport, write_result
r = TrainingResult.of('job-1', b'not really onnx', TrainReport(loss=[1.5, float('nan')], kl=0.01, epochs=2, extra={'t': 0.5}, params={'init': 'factory', 'n': 3}))
open(${JSON.stringify(path)}, 'wb').write(write_result(r))
print('null')
`);
    const result = decodeResult(readFileSync(path));
    expect(result).toMatchObject({
      jobId: 'job-1',
      report: { loss: [1.5, Number.NaN], kl: 0.01, epochs: 2, extra: { t: 0.5 }, params: { init: 'factory', n: 3 } },
    });
    expect(new TextDecoder().decode(result.onnx)).toBe('not really onnx');
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
