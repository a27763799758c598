import {
  DissonanceError,
  type ModelArtifact,
  type ModelRegistry,
  type ModelVersion,
  type Page,
  type RegisterInput,
  type SetAliasOptions,
} from '@dissonance/core';
import { checkName, checkRegisterInput, sha256Hex, REGISTRY_NAME, checkPageSize } from '@dissonance/core/adapter-kit';
import { withKeyLock } from './keyed-mutex.js';
import { decodeManifest, MANIFEST_TAG, MAX_TAG_VALUE, type StoredManifest, type TagList } from './manifest-tags.js';
import { MlflowHttp, MlflowHttpError, type MlflowRequest } from './mlflow-http.js';
import { onnxShape, readMlflowModel } from './mlflow-model.js';
import { artifactPath, mapError, MlflowTracking, type MlflowRun } from './mlflow-tracking.js';
import { mlmodelFiles } from './mlmodel-files.js';
import type { MlflowRegistryOptions } from './options.js';
import { delay } from './retry.js';
import { decodeVersionTags, describeVersion, encodeVersionTags, hasVersionFacts } from './version-facts.js';

/** The fields of an MLflow `ModelVersion` this adapter reads. */
interface MlflowModelVersion {
  readonly name?: string;
  readonly version?: string;
  readonly source?: string;
  readonly run_id?: string;
  readonly creation_timestamp?: number | string;
  readonly status?: string;
  readonly status_message?: string;
  readonly tags?: TagList;
}

const VERSION = /^[1-9][0-9]{0,15}$/;
/** Run folder that holds the model files; the model version's `source`. */
const MODEL_DIR = 'model';
/** An adopted version: its manifest (digest taken when first read in this process) and where its ONNX file is. */
interface Adopted {
  readonly manifest: ModelVersion;
  /** Artifact-proxy path of the ONNX file. */
  readonly path: string;
}

/**
 * A {@link ModelRegistry} on an MLflow tracking server (REST API 2.0, artifacts proxied with
 * `--serve-artifacts`). Each `register` creates a run in experiment `experimentName` whose `model/` folder is an
 * MLflow Model (for ONNX: `MLmodel` with the `onnx` and `python_function` flavors and the tensor signature,
 * `model.onnx`, `requirements.txt`, `python_env.yaml`, `conda.yaml`, an input example; plus `manifest.json`), logs
 * params, metrics and tags on the run (lineage as `dissonance.lineage.*` tags), creates the registered model when
 * missing and a model version whose `source` is that folder, with one model-version tag per fact
 * (`dissonance.sha256`, `dissonance.golden_accuracy`, `dissonance.decision`…, see `encodeVersionTags`) and a
 * one-line description, so `get`, `resolve` and `list` need no download. Versions written before (one
 * `dissonance.manifest` JSON tag) still read back. `fetch` downloads the artifact and checks its sha256
 * (`E_ARTIFACT_DIGEST`).
 *
 * A version registered by someone else (e.g. `mlflow.onnx.log_model(..., registered_model_name=…)`) is adopted:
 * its `MLmodel` must have the `onnx` flavor (`E_MODEL` naming the flavors found otherwise); its tensor signature
 * (else the ONNX graph's shapes) gives the manifest's `inputWidth` and `classes`; its sha256 and size are those of the ONNX file when this
 * registry first reads the version, and `fetch` checks later downloads against them. Such versions carry no
 * signature: under a trust policy they load only when the policy's `allowUnsigned` names the model.
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
  readonly #adopted = new Map<string, Promise<Adopted>>();
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
    const versionTags = encodeVersionTags(stored);
    for (const [key, value] of Object.entries(versionTags)) {
      if (value.length > MAX_TAG_VALUE) {
        throw new DissonanceError(
          'E_INPUT',
          `register: ${key} is ${value.length} characters, MLflow keeps at most ${MAX_TAG_VALUE}`,
          {
            details: { field: 'tags' },
          },
        );
      }
    }
    const name = input.name;
    const run = await this.#tracking.startRun(this.#experimentName, {
      runName: `${name}-${stored.sha256.slice(0, 12)}`,
      tags: { 'dissonance.model': name },
    });
    try {
      const file = artifactFileName(stored.format);
      await this.#tracking.uploadArtifact(run, `${MODEL_DIR}/${file}`, bytes);
      if (stored.format === 'onnx') {
        const files = mlmodelFiles({ ...stored, file, bytes, runId: run.runId });
        const encoder = new TextEncoder();
        await Promise.all(
          files.map((f) => this.#tracking.uploadArtifact(run, `${MODEL_DIR}/${f.path}`, encoder.encode(f.text))),
        );
      }
      await this.#tracking.logBatch(run.runId, runData(stored));
      await this.#ensureRegisteredModel(name);
      const version = await this.#createVersion(name, run, versionTags, describeVersion(stored));
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
    return this.#manifest(name, version, mv);
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
      const mv = answer.model_version ?? {};
      return await this.#manifest(name, mv.version ?? '', mv);
    } catch (error) {
      if (error instanceof DissonanceError) throw error;
      if (error instanceof MlflowHttpError && error.status === 400 && /alias .* not found/i.test(error.message)) {
        throw new DissonanceError('E_ALIAS_NOT_FOUND', `model ${name} has no alias ${alias}`, {
          details: { name, alias },
        });
      }
      throw mapError(error, `model ${name} alias ${alias}`);
    }
  }

  async setAlias(name: string, alias: string, version: string, options: SetAliasOptions = {}): Promise<void> {
    this.#open();
    checkName(alias, 'alias');
    await this.#modelVersion(name, version);
    const set = (): Promise<unknown> =>
      this.#call(
        { method: 'POST', path: '/api/2.0/mlflow/registered-models/alias', body: { name, alias, version } },
        `model ${name} alias ${alias}`,
      );
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
      {
        method: 'DELETE',
        path: '/api/2.0/mlflow/registered-models/alias',
        query: { name, alias },
        body: { name, alias },
      },
      `model ${name} alias ${alias}`,
    );
  }

  async aliases(name: string): Promise<Readonly<Record<string, string>>> {
    const model = await this.#registeredModel(name);
    const entries = (model.aliases ?? []).flatMap((a) =>
      a.alias === undefined || a.version === undefined ? [] : [[a.alias, a.version] as const],
    );
    return Object.freeze(Object.fromEntries(entries));
  }

  async list(name: string, options: { pageSize?: number; pageToken?: string } = {}): Promise<Page<ModelVersion>> {
    this.#open();
    const pageSize = checkPageSize(options.pageSize);
    if (options.pageToken !== undefined && (typeof options.pageToken !== 'string' || options.pageToken === '')) {
      throw new DissonanceError('E_INPUT', 'pageToken is not one this registry issued', {
        details: { field: 'pageToken' },
      });
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
        throw new DissonanceError('E_INPUT', 'pageToken is not one this registry issued', {
          cause: error,
          details: { field: 'pageToken' },
        });
      }
      throw mapError(error, `list ${name}`);
    }
    const items = await Promise.all(
      (answer.model_versions ?? []).map((mv) => this.#manifest(name, mv.version ?? '', mv)),
    );
    const next = answer.next_page_token;
    return next === undefined || next === '' || items.length === 0 ? { items } : { items, nextPageToken: next };
  }

  async fetch(name: string, version: string): Promise<{ manifest: ModelVersion; artifact: ModelArtifact }> {
    const mv = await this.#modelVersion(name, version);
    const adopted = isAdopted(mv) ? await this.#adopt(name, version, mv) : undefined;
    const manifest = adopted?.manifest ?? this.#written(name, version, mv);
    if (manifest.size > this.#maxArtifactBytes) {
      throw new DissonanceError(
        'E_INPUT',
        `artifact of ${name} version ${version} holds ${manifest.size} bytes, more than ${this.#maxArtifactBytes}`,
        {
          details: { name, version, field: 'maxArtifactBytes' },
        },
      );
    }
    if (mv.source === undefined)
      throw new DissonanceError('E_MODEL', `mlflow: model ${name} version ${version} has no source`);
    const path = adopted?.path ?? `${artifactPath(mv.source)}/${encodeURIComponent(artifactFileName(manifest.format))}`;
    let bytes: Uint8Array;
    try {
      bytes = await this.#http.bytes({ method: 'GET', path });
    } catch (error) {
      throw mapError(error, `artifact of ${name} version ${version}`);
    }
    const actual = bytes.byteLength > this.#maxArtifactBytes ? 'oversized' : await sha256Hex(bytes);
    if (actual !== manifest.sha256) {
      throw new DissonanceError(
        'E_ARTIFACT_DIGEST',
        `artifact of ${name} version ${version} does not match its sha256`,
        {
          details: { name, version, expected: manifest.sha256, actual },
        },
      );
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
      throw new DissonanceError('E_MODEL', `mlflow: model ${name} version ${version} has no run`, {
        details: { name, version },
      });
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

  async #createVersion(
    name: string,
    run: MlflowRun,
    tags: Readonly<Record<string, string>>,
    description: string,
  ): Promise<string> {
    const created = await this.#call<{ model_version?: MlflowModelVersion }>(
      {
        method: 'POST',
        path: '/api/2.0/mlflow/model-versions/create',
        idempotent: false,
        body: {
          name,
          source: `${run.artifactUri.replace(/\/+$/, '')}/${MODEL_DIR}`,
          run_id: run.runId,
          description,
          tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
        },
      },
      `create a version of ${name}`,
    );
    const version = created.model_version?.version;
    if (version === undefined)
      throw new DissonanceError('E_REGISTRY_UNAVAILABLE', 'mlflow: model-versions/create answered without a version');
    let status = created.model_version?.status;
    const deadline = Date.now() + this.#readyTimeoutMs;
    while (status !== 'READY') {
      if (status === 'FAILED_REGISTRATION') {
        throw new DissonanceError(
          'E_REGISTRY_UNAVAILABLE',
          `mlflow: version ${version} of ${name} failed to register`,
          {
            details: { name, version },
          },
        );
      }
      if (Date.now() > deadline) {
        throw new DissonanceError(
          'E_REGISTRY_UNAVAILABLE',
          `mlflow: version ${version} of ${name} not READY after ${this.#readyTimeoutMs} ms`,
          {
            details: { name, version, status: status ?? null },
          },
        );
      }
      await delay(200);
      status = (await this.#modelVersion(name, version)).status;
    }
    return version;
  }

  /** The manifest of a version: written by this adapter (either layout) or adopted. */
  async #manifest(name: string, version: string, mv: MlflowModelVersion): Promise<ModelVersion> {
    return isAdopted(mv) ? (await this.#adopt(name, version, mv)).manifest : this.#written(name, version, mv);
  }

  #written(name: string, version: string, mv: MlflowModelVersion): ModelVersion {
    return hasVersionFacts(mv.tags)
      ? decodeVersionTags(name, version, mv.tags)
      : decodeManifest(name, version, mv.tags);
  }

  /** Reads an adopted version's MLmodel and ONNX file once per process (a failed read is retried next time). */
  #adopt(name: string, version: string, mv: MlflowModelVersion): Promise<Adopted> {
    const key = `${name}\n${version}`;
    let adopted = this.#adopted.get(key);
    if (adopted === undefined) {
      adopted = this.#readAdopted(name, version, mv);
      this.#adopted.set(key, adopted);
      adopted.catch(() => this.#adopted.delete(key));
    }
    return adopted;
  }

  async #readAdopted(name: string, version: string, mv: MlflowModelVersion): Promise<Adopted> {
    const what = `model ${name} version ${version}`;
    if (mv.source === undefined || mv.source === '')
      throw new DissonanceError('E_MODEL', `mlflow: ${what} has no source`, { details: { name, version } });
    const folder = artifactPath(await this.#modelLocation(mv.source, what));
    let text: string;
    try {
      text = new TextDecoder().decode(await this.#http.bytes({ method: 'GET', path: `${folder}/MLmodel` }));
    } catch (error) {
      if (error instanceof MlflowHttpError && error.status === 404) {
        throw new DissonanceError(
          'E_MODEL',
          `mlflow: ${what} is neither registered by dissonance nor an MLflow model (no MLmodel at ${mv.source})`,
          {
            details: { name, version, reason: 'mlmodel', source: mv.source },
          },
        );
      }
      throw mapError(error, `MLmodel of ${what}`);
    }
    const model = readMlflowModel(text, what);
    const path = `${folder}/${model.file.split('/').map(encodeURIComponent).join('/')}`;
    const listed = await this.#listedSize(folder, model.file);
    if (listed !== undefined && listed > this.#maxArtifactBytes) {
      throw new DissonanceError(
        'E_INPUT',
        `artifact of ${name} version ${version} holds ${listed} bytes, more than ${this.#maxArtifactBytes}`,
        {
          details: { name, version, field: 'maxArtifactBytes' },
        },
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.#http.bytes({ method: 'GET', path });
    } catch (error) {
      throw mapError(error, `ONNX file of ${what}`);
    }
    if (bytes.byteLength > this.#maxArtifactBytes) {
      throw new DissonanceError(
        'E_INPUT',
        `artifact of ${name} version ${version} holds ${bytes.byteLength} bytes, more than ${this.#maxArtifactBytes}`,
        {
          details: { name, version, field: 'maxArtifactBytes' },
        },
      );
    }
    const shape = model.shape ?? onnxShape(bytes, what);
    const tags = new Map((mv.tags ?? []).flatMap((t) => (t.value === undefined ? [] : [[t.key, t.value] as const])));
    const signature = tags.get('dissonance.signature');
    const keyId = tags.get('dissonance.signature_key');
    const created = Number(mv.creation_timestamp);
    const manifest: ModelVersion = Object.freeze({
      name,
      version,
      format: 'onnx',
      sha256: await sha256Hex(bytes),
      size: bytes.byteLength,
      inputWidth: shape.inputWidth,
      classes: shape.classes,
      createdAt: new Date(Number.isFinite(created) && created > 0 ? created : Date.now()).toISOString(),
      metrics: Object.freeze({}),
      params: Object.freeze({}),
      tags: Object.freeze({
        'dissonance.adopted': 'mlflow',
        'mlflow.source': mv.source,
        ...(signature === undefined || keyId === undefined
          ? {}
          : { 'dissonance.signature': signature, 'dissonance.signature.keyId': keyId }),
      }),
      lineage: Object.freeze({}),
    });
    return { manifest, path };
  }

  /**
   * The size the artifact proxy lists for `file` inside `folder` (an artifact-proxy path), so that an adopted
   * model over `maxArtifactBytes` is refused before it is downloaded; undefined without a limit or a listing.
   */
  async #listedSize(folder: string, file: string): Promise<number | undefined> {
    if (this.#maxArtifactBytes === Number.POSITIVE_INFINITY) return undefined;
    const prefix = '/api/2.0/mlflow-artifacts/artifacts/';
    const parts = file.split('/');
    const dir = [folder.slice(prefix.length).split('/').map(decodeURIComponent).join('/'), ...parts.slice(0, -1)].join(
      '/',
    );
    try {
      const answer = await this.#http.json<{ files?: ReadonlyArray<{ path?: string; file_size?: number | string }> }>({
        method: 'GET',
        path: '/api/2.0/mlflow-artifacts/artifacts',
        query: { path: dir },
      });
      const entry = answer.files?.find((f) => f.path === parts.at(-1));
      const size = Number(entry?.file_size);
      return Number.isFinite(size) ? size : undefined;
    } catch {
      return undefined; // no listing: the size is checked after the download
    }
  }

  /** The artifact URI of a version's model folder: its source, a logged model's (`models:/m-…`) or a run's (`runs:/…`). */
  async #modelLocation(source: string, what: string): Promise<string> {
    const logged = /^models:\/(m-[0-9A-Za-z]+)\/?$/.exec(source);
    if (logged?.[1] !== undefined) {
      const answer = await this.#call<{ model?: { info?: { artifact_uri?: string } } }>(
        { method: 'GET', path: `/api/2.0/mlflow/logged-models/${logged[1]}` },
        `logged model of ${what}`,
      );
      const uri = answer.model?.info?.artifact_uri;
      if (uri === undefined)
        throw new DissonanceError('E_MODEL', `mlflow: ${what}: logged model ${logged[1]} has no artifact location`);
      return uri;
    }
    const run = /^runs:\/([0-9a-f]+)\/(.*)$/.exec(source);
    if (run?.[1] !== undefined) {
      const answer = await this.#call<{ run?: { info?: { artifact_uri?: string } } }>(
        { method: 'GET', path: '/api/2.0/mlflow/runs/get', query: { run_id: run[1] } },
        `run of ${what}`,
      );
      const uri = answer.run?.info?.artifact_uri;
      if (uri === undefined)
        throw new DissonanceError('E_MODEL', `mlflow: ${what}: run ${run[1]} has no artifact location`);
      return `${uri.replace(/\/+$/, '')}/${run[2] ?? ''}`;
    }
    return source;
  }

  async #ensureRegisteredModel(name: string): Promise<void> {
    if (this.#knownModels.has(name)) return;
    try {
      await this.#http.json({ method: 'POST', path: '/api/2.0/mlflow/registered-models/create', body: { name } });
    } catch (error) {
      if (!(error instanceof MlflowHttpError && error.errorCode === 'RESOURCE_ALREADY_EXISTS'))
        throw mapError(error, `create model ${name}`);
    }
    this.#knownModels.add(name);
  }

  async #registeredModel(name: string): Promise<{ aliases?: ReadonlyArray<{ alias?: string; version?: string }> }> {
    this.#open();
    this.#known(name);
    const answer = await this.#call<{
      registered_model?: { aliases?: ReadonlyArray<{ alias?: string; version?: string }> };
    }>({ method: 'GET', path: '/api/2.0/mlflow/registered-models/get', query: { name } }, `model ${name}`);
    return answer.registered_model ?? {};
  }

  async #modelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    this.#open();
    this.#known(name);
    if (typeof version !== 'string' || !VERSION.test(version)) {
      throw new DissonanceError('E_NOT_FOUND', `model ${name} has no version ${String(version)}`, {
        details: { name, version: String(version) },
      });
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

/** Whether a version was registered by someone else than this adapter (no dissonance manifest in either layout). */
function isAdopted(mv: MlflowModelVersion): boolean {
  return !hasVersionFacts(mv.tags) && !(mv.tags ?? []).some((t) => t.key === MANIFEST_TAG);
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
