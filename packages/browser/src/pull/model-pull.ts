import {
  createArtifactVerifier,
  DissonanceError,
  type ArtifactVerifier,
  type JsonValue,
  type TrustPolicy,
} from '@dissonance/core';
import { signatureFromTags } from '@dissonance/core/adapter-kit';
import { fetchModelBytes, type FetchFunction } from '../cache/fetch-model.js';
import type { ModelCache } from '../cache/model-cache.js';
import type { OnnxWebModel } from '../runtime/onnx-web-model.js';
import type { OnnxWebRuntime } from '../runtime/onnx-web-runtime.js';
import type { ArtifactCheck, ChampionInfo } from './champion-info.js';

/** Options of {@link fetchChampionInfo} and {@link pullChampion}. */
export interface ModelPullOptions {
  /** The server's base URL, e.g. `https://models.example.com`. */
  readonly url: string;
  /** Registered model name, e.g. `digits-proposer`. */
  readonly name: string;
  /** Bearer token, when the server wants one for model routes. */
  readonly token?: string | (() => string | Promise<string>);
  /**
   * Signed model pull: core's trust policy (trusted Ed25519 public keys, `require` signatures, formats, size).
   * The signature is read from the manifest's tags (`dissonance.signature`, `dissonance.signature.keyId`) and
   * checked with core's `createArtifactVerifier` after the digest; `E_ARTIFACT_SIGNATURE` refuses the model.
   */
  readonly trust?: TrustPolicy | ArtifactVerifier;
  /** A further check of the bytes, after digest and trust policy. */
  readonly check?: ArtifactCheck;
  /** Cache of artifact bytes, keyed by digest. */
  readonly cache?: ModelCache;
  readonly fetch?: FetchFunction;
}

/** Reads the champion of `name` from `GET {url}/v1/models/{name}`. `E_NOT_FOUND`, `E_REGISTRY_UNAVAILABLE` or `E_INPUT` (malformed answer). */
export async function fetchChampionInfo(options: ModelPullOptions): Promise<ChampionInfo> {
  const base = options.url.replace(/\/+$/, '');
  const url = `${base}/v1/models/${encodeURIComponent(options.name)}`;
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  let response: Response;
  try {
    response = await doFetch(url, { headers: await authHeaders(options), cache: 'no-store' });
  } catch (error) {
    throw new DissonanceError(
      'E_REGISTRY_UNAVAILABLE',
      `cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (!response.ok) {
    throw new DissonanceError(
      response.status === 404 ? 'E_NOT_FOUND' : 'E_REGISTRY_UNAVAILABLE',
      `${url} answered ${response.status}`,
      {
        details: { status: response.status },
      },
    );
  }
  const body = (await response.json().catch(() => undefined)) as { champion?: Partial<ChampionInfo> } | undefined;
  const champion = body?.champion;
  const version = champion?.version;
  if (
    champion === undefined ||
    (typeof version !== 'string' && typeof version !== 'number') ||
    typeof champion.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/i.test(champion.sha256)
  ) {
    throw new DissonanceError('E_INPUT', `${url}: answer has no champion { version, sha256 }`);
  }
  const artifactUrl =
    typeof champion.artifactUrl === 'string'
      ? new URL(champion.artifactUrl, `${base}/`).href
      : `${base}/v1/models/${encodeURIComponent(options.name)}/versions/${encodeURIComponent(String(version))}/model.onnx`;
  return {
    name: options.name,
    version: String(version),
    sha256: champion.sha256.toLowerCase(),
    manifest: (champion.manifest ?? null) as JsonValue,
    artifactUrl,
  };
}

/** A pulled champion: the loaded model and what the server said about it. */
export interface PulledModel {
  readonly model: OnnxWebModel;
  readonly champion: ChampionInfo;
  /** True when the bytes came from the cache. */
  readonly fromCache: boolean;
}

/**
 * Fetches the current champion of `name` and loads it with `runtime`: the artifact's sha256 must match the
 * champion's (`E_ARTIFACT_DIGEST`), then the trust policy (signature) and `check` run, then the bytes are
 * loaded. Nothing is loaded when a check fails.
 */
export async function pullChampion(runtime: OnnxWebRuntime, options: ModelPullOptions): Promise<PulledModel> {
  const champion = await fetchChampionInfo(options);
  return loadChampion(runtime, champion, options);
}

/** Fetches, verifies and loads the artifact of an already-read champion (see {@link pullChampion}). */
export async function loadChampion(
  runtime: OnnxWebRuntime,
  champion: ChampionInfo,
  options: ModelPullOptions,
): Promise<PulledModel> {
  const fetched = await fetchModelBytes(champion.artifactUrl, {
    sha256: champion.sha256,
    headers: await authHeaders(options),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  if (options.trust !== undefined) {
    const verifier = 'verify' in options.trust ? options.trust : verifierFor(options.trust);
    await verifier.verify(
      { format: 'onnx', bytes: fetched.bytes },
      signatureFromTags(manifestTags(champion.manifest)),
      `model ${champion.name}@${champion.version}`,
    );
  }
  if (options.check !== undefined) await options.check(fetched.bytes, champion);
  const model = await runtime.loadBytes(fetched.bytes, { name: champion.name, version: champion.version });
  return { model, champion, fromCache: fetched.fromCache };
}

async function authHeaders(options: ModelPullOptions): Promise<Record<string, string>> {
  if (options.token === undefined) return {};
  const token = typeof options.token === 'function' ? await options.token() : options.token;
  return { authorization: `Bearer ${token}` };
}

const verifiers = new WeakMap<TrustPolicy, ArtifactVerifier>();

/** One verifier per policy object, so trusted keys are imported once. */
function verifierFor(policy: TrustPolicy): ArtifactVerifier {
  let verifier = verifiers.get(policy);
  if (verifier === undefined) {
    verifier = createArtifactVerifier(policy);
    verifiers.set(policy, verifier);
  }
  return verifier;
}

/** The string tags of a manifest (`manifest.tags`), where a signed version carries its signature. */
function manifestTags(manifest: JsonValue): Record<string, string> | undefined {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return undefined;
  const tags = (manifest as { readonly [key: string]: JsonValue }).tags;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return undefined;
  return Object.fromEntries(
    Object.entries(tags).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
