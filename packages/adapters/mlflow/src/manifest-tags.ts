import { DissonanceError, type Lineage, type ModelVersion, type Scalar } from '@dissonance/core';

/** Model-version tag holding the manifest as JSON (everything but `name` and `version`, which MLflow owns). */
export const MANIFEST_TAG = 'dissonance.manifest';
/** Model-version tag with the artifact sha256, for people browsing the MLflow UI. */
export const SHA256_TAG = 'dissonance.sha256';
/** Largest model-version tag value MLflow accepts. */
export const MAX_TAG_VALUE = 100_000;

/** The manifest fields stored in {@link MANIFEST_TAG}. */
export type StoredManifest = Omit<ModelVersion, 'name' | 'version'>;

/** MLflow's `{ key, value }` tag list. */
export type TagList = ReadonlyArray<{ readonly key: string; readonly value?: string }>;

/** Serializes the manifest for {@link MANIFEST_TAG}. */
export function encodeManifest(manifest: StoredManifest): string {
  return JSON.stringify({
    format: manifest.format,
    sha256: manifest.sha256,
    size: manifest.size,
    inputWidth: manifest.inputWidth,
    classes: manifest.classes,
    createdAt: manifest.createdAt,
    metrics: manifest.metrics,
    params: manifest.params,
    tags: manifest.tags,
    lineage: manifest.lineage,
  });
}

/** Rebuilds the frozen {@link ModelVersion} of `name`/`version` from its MLflow tags (`E_MODEL` when malformed). */
export function decodeManifest(name: string, version: string, tags: TagList | undefined): ModelVersion {
  const raw = tags?.find((tag) => tag.key === MANIFEST_TAG)?.value;
  const fail = (problem: string): DissonanceError =>
    new DissonanceError('E_MODEL', `mlflow: model ${name} version ${version}: ${problem}`, {
      details: { name, version },
    });
  if (raw === undefined) throw fail(`has no ${MANIFEST_TAG} tag (not registered by dissonance?)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail(`${MANIFEST_TAG} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw fail(`${MANIFEST_TAG} is not an object`);
  const m = parsed as Record<string, unknown>;
  const str = (key: string): string => {
    const value = m[key];
    if (typeof value !== 'string') throw fail(`manifest ${key} is not a string`);
    return value;
  };
  const int = (key: string): number => {
    const value = m[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw fail(`manifest ${key} is not an integer`);
    return value;
  };
  const sha256 = str('sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw fail('manifest sha256 is not 64 hex digits');
  return Object.freeze({
    name,
    version,
    format: str('format'),
    sha256,
    size: int('size'),
    inputWidth: int('inputWidth'),
    classes: int('classes'),
    createdAt: str('createdAt'),
    metrics: record(
      m.metrics,
      (v): v is number => typeof v === 'number',
      () => fail('manifest metrics are malformed'),
    ),
    params: record(m.params, isScalar, () => fail('manifest params are malformed')),
    tags: record(
      m.tags,
      (v): v is string => typeof v === 'string',
      () => fail('manifest tags are malformed'),
    ),
    lineage: lineage(m.lineage, () => fail('manifest lineage is malformed')),
  });
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function record<T>(value: unknown, valid: (v: unknown) => v is T, fail: () => Error): Readonly<Record<string, T>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail();
  const copy: Record<string, T> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!valid(entry)) throw fail();
    Object.defineProperty(copy, key, { value: entry, enumerable: true });
  }
  return Object.freeze(copy);
}

function lineage(value: unknown, fail: () => Error): Lineage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail();
  const { parent, examples, dissonanceMean, traceId } = value as Record<string, unknown>;
  if (parent !== undefined && typeof parent !== 'string') throw fail();
  if (examples !== undefined && typeof examples !== 'number') throw fail();
  if (dissonanceMean !== undefined && typeof dissonanceMean !== 'number') throw fail();
  if (traceId !== undefined && typeof traceId !== 'string') throw fail();
  return Object.freeze({
    ...(parent === undefined ? {} : { parent }),
    ...(examples === undefined ? {} : { examples }),
    ...(dissonanceMean === undefined ? {} : { dissonanceMean }),
    ...(traceId === undefined ? {} : { traceId }),
  });
}
