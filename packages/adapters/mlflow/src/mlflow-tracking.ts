import { DissonanceError, type Scalar } from '@dissonance/core';
import { MlflowHttp, MlflowHttpError } from './mlflow-http.js';
import type { MlflowClientOptions } from './options.js';

/** One metric value, optionally at a training step. */
export interface MetricPoint {
  readonly key: string;
  readonly value: number;
  /** Training step; default 0. */
  readonly step?: number;
  /** Epoch milliseconds; default now. */
  readonly timestamp?: number;
}

/** What {@link MlflowTracking.logBatch} logs. */
export interface RunData {
  readonly params?: Readonly<Record<string, Scalar>>;
  readonly metrics?: readonly MetricPoint[];
  readonly tags?: Readonly<Record<string, string>>;
}

/** A run as {@link MlflowTracking.startRun} returns it. */
export interface MlflowRun {
  readonly runId: string;
  readonly experimentId: string;
  /** `mlflow-artifacts:/<experiment>/<run>/artifacts` with a proxied artifact store. */
  readonly artifactUri: string;
}

/** Final state of a run. */
export type RunEndStatus = 'FINISHED' | 'FAILED' | 'KILLED';

/** A run as {@link MlflowTracking.getRun} reads it back. */
export interface RunRecord {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  /** `RUNNING`, `SCHEDULED`, `FINISHED`, `FAILED` or `KILLED`. */
  readonly status: string;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly params: Readonly<Record<string, string>>;
  /** Latest value of each metric (the value at its highest step). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Every tag, MLflow's own `mlflow.*` ones included. */
  readonly tags: Readonly<Record<string, string>>;
}

interface RestRun {
  info?: {
    run_id?: string;
    experiment_id?: string;
    run_name?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string;
  };
  data?: {
    params?: ReadonlyArray<{ key?: string; value?: string }>;
    metrics?: ReadonlyArray<{ key?: string; value?: number }>;
    tags?: ReadonlyArray<{ key?: string; value?: string }>;
  };
}

const BATCH = { params: 100, tags: 100, metrics: 1000, total: 1000 } as const;

/**
 * Experiment tracking over the MLflow REST API 2.0: experiments by name (created when missing), runs,
 * batched params/metrics (with steps)/tags, artifact upload through the server's artifact proxy, and
 * run termination. Errors: `E_REGISTRY_UNAVAILABLE` (unreachable after retries), `E_INPUT` (MLflow refused
 * a value), `E_NOT_FOUND` (unknown run).
 */
export class MlflowTracking {
  readonly #http: MlflowHttp;
  readonly #experiments = new Map<string, Promise<string>>();

  constructor(options: MlflowClientOptions | MlflowHttp) {
    this.#http = options instanceof MlflowHttp ? options : new MlflowHttp(options);
  }

  /** The id of experiment `name`, created when missing (a concurrent creation is tolerated). */
  experimentId(name: string): Promise<string> {
    let id = this.#experiments.get(name);
    if (id === undefined) {
      id = this.#resolveExperiment(name);
      this.#experiments.set(name, id);
      id.catch(() => this.#experiments.delete(name));
    }
    return id;
  }

  /** Starts a run in experiment `experimentName` (created when missing). */
  async startRun(
    experimentName: string,
    options: { runName?: string; tags?: Readonly<Record<string, string>> } = {},
  ): Promise<MlflowRun> {
    const experimentId = await this.experimentId(experimentName);
    const answer = await this.#call<{ run?: { info?: { run_id?: string; artifact_uri?: string } } }>({
      method: 'POST',
      path: '/api/2.0/mlflow/runs/create',
      body: {
        experiment_id: experimentId,
        start_time: Date.now(),
        ...(options.runName === undefined ? {} : { run_name: options.runName }),
        tags: toTagList(options.tags ?? {}),
      },
    });
    const runId = answer.run?.info?.run_id;
    if (runId === undefined)
      throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'mlflow: runs/create answered without a run id');
    return {
      runId,
      experimentId,
      artifactUri: answer.run?.info?.artifact_uri ?? `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
    };
  }

  /** Logs params, metrics and tags in batches of MLflow's limits (100 params, 100 tags, 1000 metrics, 1000 in all). */
  async logBatch(runId: string, data: RunData): Promise<void> {
    const now = Date.now();
    const params = Object.entries(data.params ?? {}).map(([key, value]) => ({ key, value: String(value) }));
    const tags = toTagList(data.tags ?? {});
    const metrics = (data.metrics ?? []).map((m) => ({
      key: m.key,
      value: m.value,
      step: m.step ?? 0,
      timestamp: m.timestamp ?? now,
    }));
    // MLflow caps one request at 100 params, 100 tags, 1000 metrics and 1000 entries in all.
    let p = 0;
    let t = 0;
    let m = 0;
    while (p < params.length || t < tags.length || m < metrics.length) {
      const paramPart = params.slice(p, p + BATCH.params);
      const tagPart = tags.slice(t, t + BATCH.tags);
      const metricPart = metrics.slice(m, m + Math.min(BATCH.metrics, BATCH.total - paramPart.length - tagPart.length));
      p += paramPart.length;
      t += tagPart.length;
      m += metricPart.length;
      const body = { run_id: runId, params: paramPart, tags: tagPart, metrics: metricPart };
      await this.#call({ method: 'POST', path: '/api/2.0/mlflow/runs/log-batch', body });
    }
  }

  /** Logs one metric value at `step`. */
  logMetric(runId: string, key: string, value: number, step = 0): Promise<void> {
    return this.logBatch(runId, { metrics: [{ key, value, step }] });
  }

  /** Uploads `bytes` as artifact `path` (e.g. `model/model.onnx`) of a run, through the artifact proxy. */
  async uploadArtifact(run: MlflowRun, path: string, bytes: Uint8Array): Promise<void> {
    await this.#call({ method: 'PUT', path: `${artifactPath(run.artifactUri)}/${encodePath(path)}`, body: bytes });
  }

  /** Reads a run back: status, params, latest metrics and tags (`E_NOT_FOUND` for an unknown run). */
  async getRun(runId: string): Promise<RunRecord> {
    const answer = await this.#call<{ run?: RestRun }>({
      method: 'GET',
      path: '/api/2.0/mlflow/runs/get',
      query: { run_id: runId },
    });
    const info = answer.run?.info ?? {};
    const data = answer.run?.data ?? {};
    const pairs = <V>(list: ReadonlyArray<{ key?: string; value?: V }> | undefined): Record<string, V> =>
      Object.fromEntries(
        (list ?? []).flatMap((e) => (e.key === undefined || e.value === undefined ? [] : [[e.key, e.value] as const])),
      );
    const time = (t: number | string | undefined): { value?: number } => (t === undefined ? {} : { value: Number(t) });
    const start = time(info.start_time).value;
    const end = time(info.end_time).value;
    return {
      runId: info.run_id ?? runId,
      experimentId: info.experiment_id ?? '',
      runName: info.run_name ?? '',
      status: info.status ?? '',
      ...(start === undefined ? {} : { startTime: start }),
      ...(end === undefined ? {} : { endTime: end }),
      params: pairs(data.params),
      metrics: pairs(data.metrics),
      tags: pairs(data.tags),
    };
  }

  /** Every logged value of metric `key` of a run, by step then time. */
  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const answer = await this.#call<{
        metrics?: ReadonlyArray<{ key?: string; value?: number; step?: number | string; timestamp?: number | string }>;
        next_page_token?: string;
      }>({
        method: 'GET',
        path: '/api/2.0/mlflow/metrics/get-history',
        query: {
          run_id: runId,
          metric_key: key,
          max_results: 25_000,
          ...(pageToken === undefined ? {} : { page_token: pageToken }),
        },
      });
      for (const m of answer.metrics ?? []) {
        if (m.value !== undefined)
          points.push({ key, value: m.value, step: Number(m.step ?? 0), timestamp: Number(m.timestamp ?? 0) });
      }
      pageToken = answer.next_page_token === '' ? undefined : answer.next_page_token;
    } while (pageToken !== undefined);
    return points.sort((a, b) => (a.step ?? 0) - (b.step ?? 0) || (a.timestamp ?? 0) - (b.timestamp ?? 0));
  }

  /** Ends a run with `status` (default `FINISHED`). */
  async endRun(runId: string, status: RunEndStatus = 'FINISHED'): Promise<void> {
    await this.#call({
      method: 'POST',
      path: '/api/2.0/mlflow/runs/update',
      body: { run_id: runId, status, end_time: Date.now() },
    });
  }

  async #resolveExperiment(name: string): Promise<string> {
    const found = await this.#findExperiment(name);
    if (found !== undefined) return found;
    try {
      const created = await this.#http.json<{ experiment_id?: string }>({
        method: 'POST',
        path: '/api/2.0/mlflow/experiments/create',
        body: { name },
      });
      if (created.experiment_id !== undefined) return created.experiment_id;
    } catch (error) {
      if (!(error instanceof MlflowHttpError && error.errorCode === 'RESOURCE_ALREADY_EXISTS'))
        throw mapError(error, name);
    }
    const again = await this.#findExperiment(name);
    if (again === undefined)
      throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `mlflow: could not create experiment ${name}`);
    return again;
  }

  async #findExperiment(name: string): Promise<string | undefined> {
    try {
      const answer = await this.#http.json<{ experiment?: { experiment_id?: string; lifecycle_stage?: string } }>({
        method: 'GET',
        path: '/api/2.0/mlflow/experiments/get-by-name',
        query: { experiment_name: name },
      });
      if (answer.experiment?.lifecycle_stage === 'deleted') {
        throw new DissonanceError(
          'E_CONFIG',
          `mlflow: experiment ${name} is deleted; restore it or pick another name`,
          {
            details: { experiment: name },
          },
        );
      }
      return answer.experiment?.experiment_id;
    } catch (error) {
      if (error instanceof MlflowHttpError && error.status === 404) return undefined;
      throw mapError(error, name);
    }
  }

  async #call<T>(request: Parameters<MlflowHttp['json']>[0]): Promise<T> {
    try {
      return await this.#http.json<T>(request);
    } catch (error) {
      throw mapError(error, request.path);
    }
  }
}

/** The artifact-proxy REST path of an `mlflow-artifacts:/…` URI (`E_CONFIG` for other schemes). */
export function artifactPath(uri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(uri);
  if (match?.[1] === undefined) {
    throw new DissonanceError(
      'E_CONFIG',
      `mlflow: artifact location ${uri} is not proxied; start the server with --serve-artifacts / --artifacts-destination`,
      { details: { uri } },
    );
  }
  return `/api/2.0/mlflow-artifacts/artifacts/${encodePath(match[1].replace(/\/+$/, ''))}`;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function toTagList(tags: Readonly<Record<string, string>>): Array<{ key: string; value: string }> {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** Maps an {@link MlflowHttpError} to a DissonanceError (404 → `E_NOT_FOUND`, other 4xx → `E_INPUT`). */
export function mapError(error: unknown, context: string): unknown {
  if (!(error instanceof MlflowHttpError)) return error;
  const code = error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST' ? 'E_NOT_FOUND' : 'E_INPUT';
  return new DissonanceError(code, `mlflow: ${context}: ${error.message}`, {
    cause: error,
    details: { status: error.status, errorCode: error.errorCode },
  });
}
