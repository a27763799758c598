import { MlflowRegistry } from '../src/index.js';
import type { MlflowRegistryOptions } from '../src/index.js';
import type { ModelVersion, RegisterInput } from '@dissonance/core';

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
  readonly #url: string;
  readonly #models = new Set<string>();
  readonly #experiments = new Set<string>();

  constructor(url: string) {
    this.#url = url;
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
   */
  async sweep(staleMs = 60 * 60_000): Promise<{ models: string[]; experiments: string[] }> {
    const stale = await this.#staleModels(staleMs);
    const models = [...new Set([...this.#models, ...stale])];
    const deleted = { models: [] as string[], experiments: [] as string[] };
    for (const name of models) if (await this.#post('/api/2.0/mlflow/registered-models/delete', { name })) deleted.models.push(name);
    for (const name of this.#experiments) {
      const id = await this.#experimentId(name);
      if (id !== undefined && (await this.#post('/api/2.0/mlflow/experiments/delete', { experiment_id: id }))) deleted.experiments.push(name);
    }
    this.#models.clear();
    this.#experiments.clear();
    return deleted;
  }

  async #staleModels(staleMs: number): Promise<string[]> {
    const query = new URLSearchParams({ filter: `name LIKE '${TEST_PREFIX}%'`, max_results: '1000' });
    const response = await fetch(`${this.#url}/api/2.0/mlflow/registered-models/search?${query.toString()}`);
    if (!response.ok) return [];
    const body = (await response.json()) as { registered_models?: { name: string; creation_timestamp?: number | string }[] };
    const cutoff = Date.now() - staleMs;
    return (body.registered_models ?? []).filter((m) => Number(m.creation_timestamp ?? 0) < cutoff).map((m) => m.name);
  }

  async #experimentId(name: string): Promise<string | undefined> {
    const response = await fetch(`${this.#url}/api/2.0/mlflow/experiments/get-by-name?${new URLSearchParams({ experiment_name: name }).toString()}`);
    if (!response.ok) return undefined;
    const body = (await response.json()) as { experiment?: { experiment_id?: string; lifecycle_stage?: string } };
    return body.experiment?.lifecycle_stage === 'active' ? body.experiment.experiment_id : undefined;
  }

  async #post(path: string, body: unknown): Promise<boolean> {
    const response = await fetch(`${this.#url}${path}`, {
      method: path.endsWith('/delete') && path.includes('registered-models') ? 'DELETE' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.body?.cancel().catch(() => undefined);
    return response.ok;
  }
}

/** An {@link MlflowRegistry} that records the names it registers in an {@link MlflowCleanup}. */
class TrackedRegistry extends MlflowRegistry {
  readonly #cleanup: MlflowCleanup;

  constructor(options: MlflowRegistryOptions, cleanup: MlflowCleanup) {
    super(options);
    this.#cleanup = cleanup;
  }

  override register(input: RegisterInput): Promise<ModelVersion> {
    if (typeof input === 'object' && input !== null && typeof input.name === 'string') this.#cleanup.model(input.name);
    return super.register(input);
  }
}
