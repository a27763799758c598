import { DissonanceError, type Lineage, type ModelVersion, type Scalar } from '@dissonance/core';

/**
 * Parses and checks a stored manifest: JSON holding every {@link ModelVersion} field with the right type, and
 * naming the model and version it is stored under. Anything else is `E_MODEL` (a malformed or foreign object
 * at a manifest key). Returns a frozen manifest.
 */
export function parseManifest(text: string, name: string, version: string): ModelVersion {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(name, version, 'is not JSON', error);
  }
  if (!isRecord(value)) throw malformed(name, version, 'is not a JSON object');
  const strings = ['name', 'version', 'format', 'sha256', 'createdAt'] as const;
  for (const field of strings) {
    if (typeof value[field] !== 'string') throw malformed(name, version, `has no string ${field}`);
  }
  if (value.name !== name || value.version !== version) {
    throw malformed(name, version, `names ${String(value.name)} version ${String(value.version)}`);
  }
  if (!/^[0-9a-f]{64}$/.test(value.sha256 as string)) throw malformed(name, version, 'has no hex sha256');
  for (const field of ['size', 'inputWidth', 'classes'] as const) {
    const n = value[field];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw malformed(name, version, `has no positive integer ${field}`);
    }
  }
  const metrics = record(value.metrics, (v) => typeof v === 'number' && Number.isFinite(v));
  const params = record(value.params, isScalar);
  const tags = record(value.tags, (v) => typeof v === 'string');
  const lineage = value.lineage;
  if (metrics === undefined || params === undefined || tags === undefined || !isLineage(lineage)) {
    throw malformed(name, version, 'has malformed metrics, params, tags or lineage');
  }
  return Object.freeze({
    name,
    version,
    format: value.format as string,
    sha256: value.sha256 as string,
    size: value.size as number,
    inputWidth: value.inputWidth as number,
    classes: value.classes as number,
    createdAt: value.createdAt as string,
    metrics: metrics as Readonly<Record<string, number>>,
    params: params as Readonly<Record<string, Scalar>>,
    tags: tags as Readonly<Record<string, string>>,
    lineage: Object.freeze({ ...lineage }),
  });
}

/** Parses an alias object `{"version": "<n>"}`; `E_MODEL` when it is anything else. */
export function parseAlias(text: string, name: string, alias: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const version = isRecord(value) ? value.version : undefined;
  if (typeof version !== 'string' || !/^[1-9][0-9]{0,15}$/.test(version)) {
    throw new DissonanceError('E_MODEL', `alias ${alias} of model ${name} is malformed (expected {"version": "<n>"})`, {
      details: { name, alias },
    });
  }
  return version;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

function record(value: unknown, valid: (v: unknown) => boolean): Readonly<Record<string, unknown>> | undefined {
  if (!isRecord(value)) return undefined;
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!valid(v)) return undefined;
    Object.defineProperty(copy, key, { value: v, enumerable: true });
  }
  return Object.freeze(copy);
}

function isLineage(value: unknown): value is Lineage {
  if (!isRecord(value)) return false;
  const { parent, examples, dissonanceMean, traceId } = value;
  return (
    (parent === undefined || typeof parent === 'string') &&
    (examples === undefined || (typeof examples === 'number' && Number.isSafeInteger(examples) && examples >= 0)) &&
    (dissonanceMean === undefined || (typeof dissonanceMean === 'number' && Number.isFinite(dissonanceMean))) &&
    (traceId === undefined || typeof traceId === 'string')
  );
}

function malformed(name: string, version: string, problem: string, cause?: unknown): DissonanceError {
  return new DissonanceError('E_MODEL', `manifest of model ${name} version ${version} ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { name, version },
  });
}
