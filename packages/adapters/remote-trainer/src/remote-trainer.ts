import {
  DissonanceError,
  type Candidate,
  type LoadedModel,
  type ModelRuntime,
  type TrainConstraints,
  type Trainer,
  type TrainingExample,
} from '@dissonance/core';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import type { JobChannel } from './channel.js';
import { decodeResult } from './codec.js';
import type { JobDivergence, TrainingJob, TrainingResult } from './contract.js';
import { httpChannel, type HttpChannelOptions } from './http-channel.js';
import { inputShapeOf } from './input-shape.js';
import { jobStaging } from './job-staging.js';
import type { SnapshotOptions } from './object-store.js';
import { transportChannel, type TransportChannelOptions } from './transport-channel.js';

const DIVERGENCES: readonly JobDivergence[] = [
  'jensen-shannon',
  'total-variation',
  'abs-diff',
  'hellinger',
  'symmetric-kl',
];

/** Options of {@link remoteTrainer}. */
export interface RemoteTrainerOptions {
  /**
   * The Python worker over HTTP (`dissonance-trainer --handler … --http PORT`): its base URL; jobs go to
   * `POST {url}/jobs`. Exactly one of `http` and `transport`.
   */
  readonly http?: HttpChannelOptions;
  /**
   * The Python workers behind a broker (`dissonance-trainer --handler … --broker amqp://…|nats://…|redis://…`):
   * jobs are published on `jobsTopic` (default `train.jobs`), results heard on `resultsTopic` (default
   * `train.results`) in consumer group `group` (default `remote-trainer`; one per engine). Exactly one of `http`
   * and `transport`. See `docs/external-trainers.md` ("Over a broker").
   */
  readonly transport?: TransportChannelOptions;
  /**
   * Jobs over `overBytes` (default 8 MiB) travel through this object store, only their URI, sha256 and size
   * in the message; results the worker uploads (a `uri` and no bytes) are fetched from it. Without it a
   * result carrying only a URI is refused.
   */
  readonly snapshots?: SnapshotOptions;
  /** Loads each candidate's ONNX bytes (e.g. `new OnnxNodeRuntime()` of `@dissonance/node`). */
  readonly runtime: ModelRuntime;
  /** How long one attempt may take, in ms (default 600 000). */
  readonly timeoutMs?: number;
  /** Attempts after the first when the worker does not answer (unreachable, connection lost, timeout, 502/503/504); default 2. Each reuses the job id. */
  readonly retries?: number;
  /** Wait between attempts, in ms (default 1000). */
  readonly retryDelayMs?: number;
  /** Trainer name recorded with each version (default `remote`). */
  readonly name?: string;
  /** Job ids (default `crypto.randomUUID()`). */
  readonly jobId?: () => string;
  /** Called after each attempt that got no answer (for logs and counters). */
  readonly onRetry?: (info: { readonly jobId: string; readonly attempt: number; readonly reason: string }) => void;
}

/** A trainer that sends each fit to a worker process: `Trainer` plus what it counted. */
export interface RemoteTrainer extends Trainer {
  /**
   * Jobs sent, completed, retried (attempts after the first), timed out, refused (bad results, worker refusals),
   * superseded (by a newer fit of the same model), and results discarded because their job id is not a job in
   * progress (late, superseded, duplicate, another engine's: broker channel only).
   */
  readonly jobs: {
    sent: number;
    completed: number;
    retried: number;
    timedOut: number;
    refused: number;
    superseded: number;
    discarded: number;
  };
  /** Closes the result subscription of a `transport` channel (the transport stays open); a no-op over HTTP. */
  close(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

function cancelled(jobId: string, why: string): DissonanceError {
  return new DissonanceError('E_TRAINER', `remote fit cancelled: ${why}`, { details: { cancelled: true, jobId } });
}

function refused(jobId: string, message: string, details: Record<string, string | number> = {}): DissonanceError {
  return new DissonanceError('E_TRAINER', `remote trainer: job ${jobId}: ${message}`, {
    details: { jobId, ...details },
  });
}

/** Builds the job of a fit: the examples packed, the critics run on them, the champion on the reference rows. */
export async function buildJob(
  base: LoadedModel,
  examples: readonly TrainingExample[],
  constraints: TrainConstraints,
  jobId: string,
  deadlineMs: number,
): Promise<TrainingJob> {
  const { inputWidth: width, classes } = base;
  const n = examples.length;
  if (n === 0) throw new DissonanceError('E_TRAINER', 'no training examples: nothing to fit');
  const x = new Float32Array(n * width);
  const targets = new Float32Array(n * classes);
  const weights = new Float64Array(n);
  const labels: (number | null)[] = [];
  examples.forEach((example, i) => {
    if (!(example.x instanceof Float32Array) || example.x.length !== width) {
      throw new DissonanceError(
        'E_INPUT',
        `training example ${i} (${example.id}): x is not a Float32Array of ${width}`,
        { details: { index: i, id: example.id } },
      );
    }
    x.set(example.x, i * width);
    if (example.target.kind === 'hard') {
      labels.push(example.target.label);
      targets[i * classes + example.target.label] = 1;
    } else {
      labels.push(null);
      targets.set(example.target.probs, i * classes);
    }
    weights[i] = example.weight;
  });
  const criticProbs: Float32Array[] = [];
  for (const critic of constraints.critics) {
    if (critic.inputWidth !== width || critic.classes !== classes) {
      throw new DissonanceError(
        'E_MODEL',
        `critic ${critic.name}@${critic.version} is ${critic.inputWidth} → ${critic.classes}, the champion ${width} → ${classes}`,
      );
    }
    const out = await critic.run(x, n);
    if (out.length !== n * classes)
      throw new DissonanceError(
        'E_MODEL',
        `critic ${critic.name}@${critic.version} returned ${out.length} values, expected ${n} × ${classes}`,
      );
    criticProbs.push(Float32Array.from(out));
  }
  const r = constraints.reference.rows;
  const reference = constraints.reference.x.slice(0, r * width);
  const referenceProbs = r === 0 ? new Float32Array(0) : Float32Array.from(await base.run(reference, r));
  const name = constraints.detector.name;
  const divergence = (DIVERGENCES as readonly string[]).includes(name) ? (name as JobDivergence) : 'jensen-shannon';
  return {
    jobId,
    model: base.name,
    baseVersion: base.version,
    baseSha256: base.artifact === undefined ? '' : await sha256Hex(base.artifact.bytes),
    width,
    classes,
    ...inputShapeOf(base),
    ids: examples.map((e) => e.id),
    x,
    labels,
    targets,
    weights,
    provenance: examples.map((e) => JSON.stringify(e.provenance)),
    criticProbs,
    reference,
    referenceRows: r,
    referenceProbs,
    constraints: {
      dTarget: constraints.dTarget,
      lambdaMax: constraints.lambdaMax,
      klEps: constraints.klEps,
      seed: constraints.seed,
      divergence,
    },
    deadlineMs,
  };
}

/**
 * A `Trainer` that retrains in a worker process — a PyTorch or scikit-learn model in Python's
 * `dissonance-trainer` — over HTTP or a broker. Each `fit` builds a job (the examples, the critics'
 * probabilities on them, the reference rows and the champion's probabilities on them, the constraints, a
 * deadline), encodes it as an Arrow IPC stream, sends it through its channel — `POST {http.url}/jobs`, or an
 * envelope on `transport.jobsTopic` answered on `transport.resultsTopic` —, checks the answer's job id and
 * sha256, loads the ONNX candidate with `runtime` and checks its shape and outputs on the reference rows. The
 * engine then validates it on the golden set and signs it as it does its own.
 *
 * - An attempt without an answer (worker unreachable, connection lost, broker publish failed, over
 *   `timeoutMs`, 502/503/504) is retried `retries` times with the same job id (the worker answers a repeated
 *   id from its cache); when the attempts run out the fit rejects with `E_TRAINER_TIMEOUT` — the champion keeps
 *   serving and the engine tries the retrain again later.
 * - A worker refusal (HTTP 400, 422, 500, or a `dissonance.train.refused` envelope) or a bad result (another job
 *   id, a wrong digest, bytes that do not load, another input width or class count, non-finite outputs) rejects
 *   with `E_TRAINER`, not retried.
 * - One job in flight per model: a new fit for a model supersedes the one in flight, which rejects
 *   (`E_TRAINER`, `details.cancelled`); a result that arrives for a superseded, finished or unknown job is
 *   discarded (counted in `jobs.discarded` on a broker).
 * - `constraints.signal` aborts the wait.
 * - `E_CONFIG` unless exactly one of `http` and `transport` is given, or on bad numbers, URL or topic names.
 */
export function remoteTrainer(options: RemoteTrainerOptions): RemoteTrainer {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  if (!(timeoutMs > 0) || !Number.isInteger(retries) || retries < 0 || !(retryDelayMs >= 0)) {
    throw new DissonanceError(
      'E_CONFIG',
      `remoteTrainer: timeoutMs (${timeoutMs}) must be > 0, retries (${retries}) an integer ≥ 0, retryDelayMs (${retryDelayMs}) ≥ 0`,
    );
  }
  const newId = options.jobId ?? (() => globalThis.crypto.randomUUID());
  const inFlight = new Map<string, { readonly jobId: string; readonly controller: AbortController }>();
  const jobs = { sent: 0, completed: 0, retried: 0, timedOut: 0, refused: 0, superseded: 0, discarded: 0 };
  const channel = openChannel(options, () => jobs.discarded++);
  const staging = jobStaging(options.snapshots);

  async function exchange(job: TrainingJob, body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    let last = '';
    let anyTimeout = false;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        jobs.retried++;
        await sleep(retryDelayMs, signal);
      }
      if (signal.aborted)
        throw cancelled(job.jobId, String(signal.reason instanceof Error ? signal.reason.message : signal.reason));
      const header = { jobId: job.jobId, model: job.model, deadlineMs: job.deadlineMs };
      const answer = await channel.attempt(header, body, timeoutMs, signal).catch((error: unknown) => {
        throw cancelled(job.jobId, error instanceof Error ? error.message : String(error));
      });
      if (answer.kind === 'answer') return answer.body;
      if (answer.kind === 'refused') {
        jobs.refused++;
        throw refused(job.jobId, answer.reason, { status: answer.status });
      }
      anyTimeout ||= answer.timedOut;
      last = answer.reason;
      options.onRetry?.({ jobId: job.jobId, attempt: attempt + 1, reason: last });
    }
    jobs.timedOut++;
    throw new DissonanceError(
      'E_TRAINER_TIMEOUT',
      `remote trainer: job ${job.jobId} for ${job.model}: no answer after ${retries + 1} attempts (last: ${last})`,
      {
        details: { jobId: job.jobId, model: job.model, attempts: retries + 1, timedOut: anyTimeout, last },
      },
    );
  }

  async function verify(job: TrainingJob, result: TrainingResult, base: LoadedModel): Promise<LoadedModel> {
    if (result.jobId !== job.jobId)
      throw refused(job.jobId, `the result answers job ${result.jobId}`, { resultJobId: result.jobId });
    if (result.onnx === undefined)
      throw refused(job.jobId, `the result carries no ONNX bytes (URI ${result.uri ?? 'none'} not fetched)`);
    const digest = await sha256Hex(result.onnx);
    if (digest !== result.sha256)
      throw refused(job.jobId, `sha256 of the ONNX bytes is ${digest}, the result declares ${result.sha256}`);
    let model: LoadedModel;
    try {
      model = await options.runtime.load(
        { format: 'onnx', bytes: result.onnx },
        { name: base.name, version: 'candidate', inputWidth: base.inputWidth, classes: base.classes },
      );
    } catch (error) {
      throw refused(
        job.jobId,
        `the candidate does not load: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (model.inputWidth !== base.inputWidth || model.classes !== base.classes) {
      throw refused(
        job.jobId,
        `the candidate is ${model.inputWidth} → ${model.classes}, the champion ${base.inputWidth} → ${base.classes}`,
      );
    }
    // Run it where the champion's outputs are known: a model of another shape fails here, not while serving.
    const rows = Math.max(1, Math.min(job.referenceRows, 256));
    const probe =
      job.referenceRows > 0 ? job.reference.subarray(0, rows * job.width) : job.x.subarray(0, rows * job.width);
    let out: Float32Array;
    try {
      out = await model.run(probe, rows);
    } catch (error) {
      throw refused(job.jobId, `the candidate fails to run: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (out.length !== rows * base.classes)
      throw refused(
        job.jobId,
        `the candidate returned ${out.length} values for ${rows} rows, expected ${rows} × ${base.classes}`,
      );
    if (!out.every(Number.isFinite)) throw refused(job.jobId, 'the candidate returns non-finite probabilities');
    return model;
  }

  return {
    name: options.name ?? 'remote',
    jobs,
    close: () => channel.close(),
    async fit(
      base: LoadedModel,
      examples: readonly TrainingExample[],
      constraints: TrainConstraints,
    ): Promise<Candidate> {
      const jobId = newId();
      const controller = new AbortController();
      const previous = inFlight.get(base.name);
      if (previous !== undefined) {
        jobs.superseded++;
        previous.controller.abort(new Error(`superseded by job ${jobId}`));
      }
      const mine = { jobId, controller };
      inFlight.set(base.name, mine);
      const outer = constraints.signal;
      const onAbort = (): void => controller.abort(outer?.reason);
      if (outer?.aborted === true) controller.abort(outer.reason);
      outer?.addEventListener('abort', onAbort, { once: true });
      try {
        const deadlineMs = Date.now() + (retries + 1) * timeoutMs + retries * retryDelayMs;
        const job = await buildJob(base, examples, constraints, jobId, deadlineMs);
        const body = await staging.encode(job);
        jobs.sent++;
        const bytes = await exchange(job, body, controller.signal);
        if (controller.signal.aborted || inFlight.get(base.name) !== mine)
          throw cancelled(jobId, 'superseded; its late result is discarded');
        let result: TrainingResult;
        try {
          result = await staging.resolve(job, decodeResult(bytes));
        } catch (error) {
          jobs.refused++;
          throw error;
        }
        let model: LoadedModel;
        try {
          model = await verify(job, result, base);
        } catch (error) {
          jobs.refused++;
          throw error;
        }
        if (controller.signal.aborted || inFlight.get(base.name) !== mine)
          throw cancelled(jobId, 'superseded; its late result is discarded');
        jobs.completed++;
        return {
          model,
          artifact: { format: 'onnx', bytes: result.onnx! },
          report: { ...result.report, params: { ...(result.report.params ?? {}), jobId } },
        };
      } finally {
        outer?.removeEventListener('abort', onAbort);
        channel.finish(jobId);
        if (inFlight.get(base.name) === mine) inFlight.delete(base.name);
        await staging.cleanup(jobId);
      }
    },
  };
}

/** The channel `options` name: exactly one of `http` and `transport`, else `E_CONFIG`. */
function openChannel(options: RemoteTrainerOptions, onDiscard: () => void): JobChannel {
  const { http, transport } = options;
  if ((http === undefined) === (transport === undefined)) {
    throw new DissonanceError(
      'E_CONFIG',
      `remoteTrainer: give exactly one of http and transport (got ${http === undefined ? 'neither' : 'both'})`,
      { details: { field: 'http' } },
    );
  }
  return http !== undefined ? httpChannel(http) : transportChannel(transport!, onDiscard);
}
