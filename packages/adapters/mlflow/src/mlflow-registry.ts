import {
  DissonanceError,
  checkName,
  checkRegisterInput,
  sha256Hex,
  REGISTRY_NAME,
  type ModelArtifact,
  type ModelRegistry,
  type ModelVersion,
  type Page,
  type RegisterInput,
  type SetAliasOptions,
  checkPageSize,
} from '@dissonance/core';
import { withKeyLock } from './keyed-mutex.js';
import { decodeManifest, encodeManifest, MANIFEST_TAG, MAX_TAG_VALUE, SHA256_TAG, type StoredManifest, type TagList } from './manifest-tags.js';
import { MlflowHttp, MlflowHttpError, type MlflowRequest } from './mlflow-http.js';
import { artifactPath, mapError, MlflowTracking, type MlflowRun } from './mlflow-tracking.js';
import type { MlflowRegistryOptions } from './options.js';
import { delay } from './retry.js';

/** The fields of an MLflow `ModelVersion` this adapter reads. */
interface MlflowModelVersion {
  readonly name?: string;
  readonly version?: string;
  readonly source?: string;
  readonly run_id?: string;
  readonly status?: string;
  readonly status_message?: string;
  readonly tags?: TagList;
}

const VERSION = /^[1-9][0-9]{0,15}$/;
/** Run folder that holds the model files; the model version's `source`. */
const MODEL_DIR = 'model';

/**
 * A {@link ModelRegistry} on an MLflow tracking server (REST API 2.0, artifacts proxied with
 * `--serve-artifacts`). Each `register` creates a run in experiment `experimentName` holding
 * `model/<file>` and `model/manifest.json`, logs params, metrics and tags (lineage as `dissonance.lineage.*`
 * tags), creates the registered model when missing and a model version whose `source` is the run's `model`
 * folder; the manifest is also kept as the `dissonance.manifest` model-version tag so `get`, `resolve` and
 * `list` need no download. `fetch` downloads the artifact and checks its sha256 (`E_ARTIFACT_DIGEST`).
 *
 * MLflow has no compare-and-set on aliases: `setAlias` with `expected` reads, compares and sets under a
 * per-alias lock shared by every registry in this process, then reads again and reports
 * `E_REGISTRY_CONFLICT` when another writer won. Writers in other processes can still interleave between
 * the read and the set (a window of one round trip).
 */
export class MlflowRegistry implements ModelRegistry {
  /** `mlflow`. */
  readonly name = 'mlflow';
  readonly #http: MlflowHttp;
  readonly #tracking: MlflowTracking;
  readonly #experimentName: string;
  readonly #maxArtifactBytes: number;
  readonly #readyTimeoutMs: number;
  readonly #knownModels = new Set<string>();
  #closed = false;

  constructor(options: MlflowRegistryOptions) {
    this.#http = new MlflowHttp(options);
    this.#tracking = new MlflowTracking(this.#http);
    this.#experimentName = options.experimentName ?? 'dissonance-registry';
    const max = options.maxArtifactBytes ?? Number.POSITIVE_INFINITY;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max >= 1))) {
      throw new DissonanceError('E_CONFIG', `mlflow: maxArtifactBytes must be a positive integer, got ${max}`, {
        details: { field: 'maxArtifactBytes' },
      });
    }
    this.#maxArtifactBytes = max;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  }

  async register(input: RegisterInput): Promise<ModelVersion> {
    this.#open();
    const parts = checkRegisterInput(input, this.#maxArtifactBytes);
    const bytes = input.artifact.bytes.slice();
    const stored: StoredManifest = {
      format: input.artifact.format,
      sha256: await sha256Hex(bytes),
      size: bytes.byteLength,
      inputWidth: input.inputWidth,
      classes: input.classes,
      createdAt: new Date().toISOString(),
      ...parts,
    };
    const encoded = encodeManifest(stored);
    if (encoded.length > MAX_TAG_VALUE) {
      throw new DissonanceError('E_INPUT', `register: manifest is ${encoded.length} characters, MLflow keeps at most ${MAX_TAG_VALUE}`, {
        details: { field: 'tags' },
      });
    }
    const name = input.name;
    const run = await this.#tracking.startRun(this.#experimentName, {
      runName: `${name}-${stored.sha256.slice(0, 12)}`,
      tags: { 'dissonance.model': name },
    });
    try {
      await this.#tracking.uploadArtifact(run, `${MODEL_DIR}/${artifactFileName(stored.format)}`, bytes);
      await this.#tracking.logBatch(run.runId, runData(stored));
      await this.#ensureRegisteredModel(name);
      const version = await this.#createVersion(name, run, encoded, stored.sha256);
      const manifest: ModelVersion = Object.freeze({ name, version, ...stored });
      const json = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
      await this.#tracking.uploadArtifact(run, `${MODEL_DIR}/manifest.json`, json);
      await this.#tracking.endRun(run.runId, 'FINISHED');
      return manifest;
    } catch (error) {
      await this.#tracking.endRun(run.runId, 'FAILED').catch(() => undefined);
      throw error;
    }
  }

  async get(name: string, version: string): Promise<ModelVersion> {
    const mv = await this.#modelVersion(name, version);
    return decodeManifest(name, version, mv.tags);
  }

  async resolve(name: string, alias: string): Promise<ModelVersion> {
    this.#open();
    checkName(alias, 'alias');
    this.#known(name);
    try {
      const answer = await this.#http.json<{ model_version?: MlflowModelVersion }>({
        method: 'GET',
        path: '/api/2.0/mlflow/registered-models/alias',
        query: { name, alias },
      });
      const version = answer.model_version?.version ?? '';
      return decodeManifest(name, version, answer.model_version?.tags);
    } catch (error) {
      if (error instanceof MlflowHttpError && error.status === 400 && /alias .* not found/i.test(error.message)) {
        throw new DissonanceError('E_ALIAS_NOT_FOUND', `model ${name} has no alias ${alias}`, { details: { name, alias } });
      }
      throw mapError(error, `model ${name} alias ${alias}`);
    }
  }

  async setAlias(name: string, alias: string, version: string, options: SetAliasOptions = {}): Promise<void> {
    this.#open();
    checkName(alias, 'alias');
    await this.#modelVersion(name, version);
    const set = (): Promise<unknown> =>
      this.#call({ method: 'POST', path: '/api/2.0/mlflow/registered-models/alias', body: { name, alias, version } }, `model ${name} alias ${alias}`);
    const expected = options.expected;
    if (expected === undefined) {
      await set();
      return;
    }
    await withKeyLock(`${this.#http.baseUrl}\n${name}\n${alias}`, async () => {
      const current = (await this.aliases(name))[alias] ?? null;
      if (current !== expected) throw conflict(name, alias, expected, current);
      await set();
      // Narrow the race with writers outside this process: if another one set the alias in between, it won.
      const after = (await this.aliases(name))[alias] ?? null;
      if (after !== version) throw conflict(name, alias, expected, after);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    this.#open();
    checkName(alias, 'alias');
    this.#known(name);
    await this.#call(
      { method: 'DELETE', path: '/api/2.0/mlflow/registered-models/alias', query: { name, alias }, body: { name, alias } },
      `model ${name} alias ${alias}`,
    );
  }

  async aliases(name: string): Promise<Readonly<Record<string, string>>> {
    const model = await this.#registeredModel(name);
    const entries = (model.aliases ?? []).flatMap((a) => (a.alias === undefined || a.version === undefined ? [] : [[a.alias, a.version] as const]));
    return Object.freeze(Object.fromEntries(entries));
  }

  async list(name: string, options: { pageSize?: number; pageToken?: string } = {}): Promise<Page<ModelVersion>> {
    this.#open();
    const pageSize = checkPageSize(options.pageSize);
    if (options.pageToken !== undefined && (typeof options.pageToken !== 'string' || options.pageToken === '')) {
      throw new DissonanceError('E_INPUT', 'pageToken is not one this registry issued', { details: { field: 'pageToken' } });
    }
    await this.#registeredModel(name);
    let answer: { model_versions?: MlflowModelVersion[]; next_page_token?: string };
    try {
      answer = await this.#http.json({
        method: 'GET',
        path: '/api/2.0/mlflow/model-versions/search',
        query: {
          filter: `name='${name}'`,
          max_results: pageSize,
          order_by: 'version_number DESC',
          ...(options.pageToken === undefined ? {} : { page_token: options.pageToken }),
        },
      });
    } catch (error) {
      if (error instanceof MlflowHttpError && error.status === 400 && options.pageToken !== undefined) {
        throw new DissonanceError('E_INPUT', 'pageToken is not one this registry issued', { cause: error, details: { field: 'pageToken' } });
      }
      throw mapError(error, `list ${name}`);
    }
    const items = (answer.model_versions ?? []).map((mv) => decodeManifest(name, mv.version ?? '', mv.tags));
    const next = answer.next_page_token;
    return next === undefined || next === '' || items.length === 0 ? { items } : { items, nextPageToken: next };
  }

  async fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    const mv = await this.#modelVersion(name, version);
    const manifest = decodeManifest(name, version, mv.tags);
    if (manifest.size > this.#maxArtifactBytes) {
      throw new DissonanceError('E_INPUT', `artifact of ${name} version ${version} holds ${manifest.size} bytes, more than ${this.#maxArtifactBytes}`, {
        details: { name, version, field: 'maxArtifactBytes' },
      });
    }
    if (mv.source === undefined) throw new DissonanceError('E_MODEL', `mlflow: model ${name} version ${version} has no source`);
    const path = `${artifactPath(mv.source)}/${encodeURIComponent(artifactFileName(manifest.format))}`;
    let bytes: Uint8Array;
    try {
      bytes = await this.#http.bytes({ method: 'GET', path });
    } catch (error) {
      throw mapError(error, `artifact of ${name} version ${version}`);
    }
    const actual = bytes.byteLength > this.#maxArtifactBytes ? 'oversized' : await sha256Hex(bytes);
    if (actual !== manifest.sha256) {
      throw new DissonanceError('E_ARTIFACT_DIGEST', `artifact of ${name} version ${version} does not match its sha256`, {
        details: { name, version, expected: manifest.sha256, actual },
      });
    }
    return { manifest, artifact: { format: manifest.format, bytes } };
  }

  /**
   * The id of the MLflow run that registered `version` of `name` (it holds the artifact, params, metrics and
   * lineage tags). `E_NOT_FOUND` for an unknown model or version, `E_MODEL` for a version without a run.
   */
  async runIdOf(name: string, version: string): Promise<string> {
    const runId = (await this.#modelVersion(name, version)).run_id;
    if (runId === undefined || runId === '') {
      throw new DissonanceError('E_MODEL', `mlflow: model ${name} version ${version} has no run`, { details: { name, version } });
    }
    return runId;
  }

  async ping(): Promise<void> {
    this.#open();
    const response = await this.#http.send({ method: 'GET', path: '/health' });
    await response.body?.cancel().catch(() => undefined);
  }

  /** Marks the registry closed; later calls reject with `E_REGISTRY_UNAVAILABLE`. Nothing on the server changes. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  async #createVersion(name: string, run: MlflowRun, manifest: string, sha256: string): Promise<string> {
    const created = await this.#call<{ model_version?: MlflowModelVersion }>(
      {
        method: 'POST',
        path: '/api/2.0/mlflow/model-versions/create',
        idempotent: false,
        body: {
          name,
          source: `${run.artifactUri.replace(/\/+$/, '')}/${MODEL_DIR}`,
          run_id: run.runId,
          tags: [
            { key: MANIFEST_TAG, value: manifest },
            { key: SHA256_TAG, value: sha256 },
          ],
        },
      },
      `create a version of ${name}`,
    );
    const version = created.model_version?.version;
    if (version === undefined) throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'mlflow: model-versions/create answered without a version');
    let status = created.model_version?.status;
    const deadline = Date.now() + this.#readyTimeoutMs;
    while (status !== 'READY') {
      if (status === 'FAILED_REGISTRATION') {
        throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `mlflow: version ${version} of ${name} failed to register`, {
          details: { name, version },
        });
      }
      if (Date.now() > deadline) {
        throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `mlflow: version ${version} of ${name} not READY after ${this.#readyTimeoutMs} ms`, {
          details: { name, version, status: status ?? null },
        });
      }
      await delay(200);
      status = (await this.#modelVersion(name, version)).status;
    }
    return version;
  }

  async #ensureRegisteredModel(name: string): Promise<void> {
    if (this.#knownModels.has(name)) return;
    try {
      await this.#http.json({ method: 'POST', path: '/api/2.0/mlflow/registered-models/create', body: { name } });
    } catch (error) {
      if (!(error instanceof MlflowHttpError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw mapError(error, `create model ${name}`);
    }
    this.#knownModels.add(name);
  }

  async #registeredModel(name: string): Promise<{ aliases?: ReadonlyArray<{ alias?: string; version?: string }> }> {
    this.#open();
    this.#known(name);
    const answer = await this.#call<{ registered_model?: { aliases?: ReadonlyArray<{ alias?: string; version?: string }> } }>(
      { method: 'GET', path: '/api/2.0/mlflow/registered-models/get', query: { name } },
      `model ${name}`,
    );
    return answer.registered_model ?? {};
  }

  async #modelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    this.#open();
    this.#known(name);
    if (typeof version !== 'string' || !VERSION.test(version)) {
      throw new DissonanceError('E_NOT_FOUND', `model ${name} has no version ${String(version)}`, { details: { name, version: String(version) } });
    }
    const answer = await this.#call<{ model_version?: MlflowModelVersion }>(
      { method: 'GET', path: '/api/2.0/mlflow/model-versions/get', query: { name, version } },
      `model ${name} version ${version}`,
    );
    return answer.model_version ?? {};
  }

  /** Names outside {@link REGISTRY_NAME} were never registered: `E_NOT_FOUND` without a request. */
  #known(name: string): void {
    if (typeof name !== 'string' || !REGISTRY_NAME.test(name)) {
      throw new DissonanceError('E_NOT_FOUND', `no model named ${String(name)}`, { details: { name: String(name) } });
    }
  }

  async #call<T>(request: MlflowRequest, context: string): Promise<T> {
    try {
      return await this.#http.json<T>(request);
    } catch (error) {
      throw mapError(error, context);
    }
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'mlflow registry is closed');
  }
}

/** File name of the artifact inside the run's `model/` folder: `model.onnx` for ONNX. */
export function artifactFileName(format: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(format) ? `model.${format}` : 'model.bin';
}

function runData(m: StoredManifest): Parameters<MlflowTracking['logBatch']>[1] {
  const lineage: Record<string, string> = {};
  for (const [key, value] of Object.entries(m.lineage)) lineage[`dissonance.lineage.${key}`] = String(value);
  return {
    params: m.params,
    metrics: Object.entries(m.metrics).map(([key, value]) => ({ key, value })),
    tags: {
      ...m.tags,
      ...lineage,
      'dissonance.sha256': m.sha256,
      'dissonance.format': m.format,
      'dissonance.inputWidth': String(m.inputWidth),
      'dissonance.classes': String(m.classes),
    },
  };
}

function conflict(name: string, alias: string, expected: string | null, actual: string | null): DissonanceError {
  return new DissonanceError(
    'E_REGISTRY_CONFLICT',
    `alias ${alias} of ${name} points at ${actual ?? 'nothing'}, not ${expected ?? 'nothing'}`,
    { details: { name, alias, expected, actual } },
  );
}
