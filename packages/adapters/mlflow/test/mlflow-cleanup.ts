import { MlflowHttp, MlflowHttpError, MlflowRegistry } from '../src/index.js';
import type { MlflowRegistryOptions } from '../src/index.js';
import type { ModelVersion, RegisterInput } from '@dissonance/core';
import { REGISTRY_NAME } from '@dissonance/core/adapter-kit';

/** Prefix of every registered model and experiment the MLflow tests create (a crashed run's leftovers are swept by it). */
export const TEST_PREFIX = 'dtest-';

/** A name unique to this run: `dtest-<what>-<time>-<random>`. */
export function testName(what: string): string {
  return `${TEST_PREFIX}${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * What a test file created on the MLflow server: registered models and experiments, deleted by {@link sweep}
 * (call it in `afterAll`, so it also runs after a failed test). Deleting an experiment soft-deletes it and its
 * runs, the way the MLflow UI does; `mlflow gc` purges them.
 */
export class MlflowCleanup {
  readonly #http: MlflowHttp;
  readonly #models = new Set<string>();
  readonly #experiments = new Set<string>();

  constructor(url: string) {
    // MlflowHttp retries network errors (the server closing an idle keep-alive connection) and 5xx.
    this.#http = new MlflowHttp({ url, maxRetries: 4, retryBaseMs: 100 });
  }

  /** Records a registered model name to delete; returns it. */
  model(name: string): string {
    this.#models.add(name);
    return name;
  }

  /** Records an experiment name to delete; returns it. */
  experiment(name: string): string {
    this.#experiments.add(name);
    return name;
  }

  /** A registry whose `register` records each model name it creates. */
  registry(options: MlflowRegistryOptions): MlflowRegistry {
    return new TrackedRegistry(options, this);
  }

  /**
   * Deletes the recorded models and experiments, plus `dtest-` models and experiments older than
   * `staleMs` (left by a killed run). Resolves with what it deleted; a model or experiment already gone is fine.
   * Every deletion is attempted; the first failure is thrown after all of them.
   */
  async sweep(staleMs = 60 * 60_000): Promise<{ models: string[]; experiments: string[] }> {
    let failure: unknown;
    const attempt = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await work();
      } catch (error) {
        failure ??= error;
        return undefined;
      }
    };
    const stale = (await attempt(() => this.#staleModels(staleMs))) ?? [];
    const models = [...new Set([...this.#models, ...stale])];
    const deleted = { models: [] as string[], experiments: [] as string[] };
    for (const name of models) {
      if (await attempt(() => this.#delete('DELETE', '/api/2.0/mlflow/registered-models/delete', { name })))
        deleted.models.push(name);
    }
    for (const name of this.#experiments) {
      const id = await attempt(() => this.#experimentId(name));
      if (
        id !== undefined &&
        (await attempt(() => this.#delete('POST', '/api/2.0/mlflow/experiments/delete', { experiment_id: id })))
      ) {
        deleted.experiments.push(name);
      }
    }
    this.#models.clear();
    this.#experiments.clear();
    if (failure !== undefined) throw failure;
    return deleted;
  }

  async #staleModels(staleMs: number): Promise<string[]> {
    const body = await this.#http.json<{
      registered_models?: { name: string; creation_timestamp?: number | string }[];
    }>({
      method: 'GET',
      path: '/api/2.0/mlflow/registered-models/search',
      query: { filter: `name LIKE '${TEST_PREFIX}%'`, max_results: 1000 },
    });
    const cutoff = Date.now() - staleMs;
    return (body.registered_models ?? []).filter((m) => Number(m.creation_timestamp ?? 0) < cutoff).map((m) => m.name);
  }

  async #experimentId(name: string): Promise<string | undefined> {
    let body: { experiment?: { experiment_id?: string; lifecycle_stage?: string } };
    try {
      body = await this.#http.json({
        method: 'GET',
        path: '/api/2.0/mlflow/experiments/get-by-name',
        query: { experiment_name: name },
      });
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
    return body.experiment?.lifecycle_stage === 'active' ? body.experiment.experiment_id : undefined;
  }

  /** True when deleted, false when it was already gone. */
  async #delete(method: 'DELETE' | 'POST', path: string, body: Readonly<Record<string, string>>): Promise<boolean> {
    try {
      // MLflow reads a DELETE's parameters from the query string, a POST's from the JSON body.
      await this.#http.json({ method, path, body, ...(method === 'DELETE' ? { query: body } : {}) });
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }
}

function isGone(error: unknown): boolean {
  return error instanceof MlflowHttpError && (error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST');
}

/** An {@link MlflowRegistry} that records the names it registers in an {@link MlflowCleanup}. */
class TrackedRegistry extends MlflowRegistry {
  readonly #cleanup: MlflowCleanup;

  constructor(options: MlflowRegistryOptions, cleanup: MlflowCleanup) {
    super(options);
    this.#cleanup = cleanup;
  }

  override register(input: RegisterInput): Promise<ModelVersion> {
    // Names the registry refuses (the contract tries some) were never created.
    if (typeof input === 'object' && input !== null && typeof input.name === 'string' && REGISTRY_NAME.test(input.name))
      this.#cleanup.model(input.name);
    return super.register(input);
  }
}
