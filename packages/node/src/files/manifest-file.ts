import { DissonanceError, type Lineage, type ModelVersion, type Scalar } from '@dissonance/core';

/** Layout version of `manifest.json`; a file with another value is refused rather than misread. */
export const MANIFEST_FORMAT = 1;

/** Version numbers as directory names: `1`, `2`, … (no sign, no leading zero). */
export const VERSION_NAME = /^[1-9][0-9]{0,15}$/;

const SHA256 = /^[0-9a-f]{64}$/;
const KEYS = new Set([
  'manifestFormat',
  'name',
  'version',
  'format',
  'sha256',
  'size',
  'inputWidth',
  'classes',
  'createdAt',
  'metrics',
  'params',
  'tags',
  'lineage',
]);
const LINEAGE_KEYS = new Set(['parent', 'examples', 'dissonanceMean', 'traceId']);

/** The text of a version's `manifest.json`: the {@link ModelVersion} fields plus `manifestFormat`. */
export function manifestText(manifest: ModelVersion): string {
  return `${JSON.stringify({ manifestFormat: MANIFEST_FORMAT, ...manifest }, null, 2)}\n`;
}

/**
 * Parses and checks a `manifest.json` read from `path`, which must describe version `expected.version` of
 * model `expected.name`. Returns a frozen {@link ModelVersion}. Anything else — not JSON, a missing, mistyped or
 * unknown field, another model's or version's manifest — throws `E_MODEL` naming the file and the field.
 */
export function parseManifest(text: string, path: string, expected: { name: string; version: string }): ModelVersion {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(path, `not JSON (${error instanceof Error ? error.message : String(error)})`, 'manifest', error);
  }
  if (!isObject(value)) throw malformed(path, 'must hold a JSON object', 'manifest');
  for (const key of Object.keys(value)) if (!KEYS.has(key)) throw malformed(path, `unknown field "${key}"`, key);
  if (value.manifestFormat !== MANIFEST_FORMAT) {
    throw malformed(
      path,
      `manifestFormat must be ${MANIFEST_FORMAT}, got ${JSON.stringify(value.manifestFormat)}`,
      'manifestFormat',
    );
  }
  const field = <T>(key: string, valid: (v: unknown) => v is T, expectedWhat: string): T => {
    const v = value[key];
    if (!valid(v)) throw malformed(path, `${key} must be ${expectedWhat}, got ${JSON.stringify(v) ?? 'nothing'}`, key);
    return v;
  };
  const name = field('name', isString, 'a string');
  const version = field('version', isString, 'a string');
  if (name !== expected.name || version !== expected.version) {
    throw malformed(
      path,
      `describes ${name} version ${version}, not ${expected.name} version ${expected.version}`,
      'name',
    );
  }
  const createdAt = field('createdAt', isString, 'an ISO-8601 time');
  if (Number.isNaN(Date.parse(createdAt))) throw malformed(path, `createdAt is not a time: ${createdAt}`, 'createdAt');
  return Object.freeze({
    name,
    version,
    format: field('format', isNonEmptyString, 'a non-empty string'),
    sha256: field('sha256', (v): v is string => typeof v === 'string' && SHA256.test(v), '64 lower-case hex digits'),
    size: field('size', isPositiveInteger, 'a positive integer'),
    inputWidth: field('inputWidth', isPositiveInteger, 'a positive integer'),
    classes: field('classes', isPositiveInteger, 'a positive integer'),
    createdAt,
    metrics: record(value.metrics, path, 'metrics', isFiniteNumber, 'a finite number'),
    params: record(value.params, path, 'params', isScalar, 'a string, boolean or finite number'),
    tags: record(value.tags, path, 'tags', isString, 'a string'),
    lineage: lineage(value.lineage, path),
  });
}

function record<T>(
  value: unknown,
  path: string,
  key: string,
  valid: (v: unknown) => v is T,
  what: string,
): Readonly<Record<string, T>> {
  if (!isObject(value)) throw malformed(path, `${key} must be an object`, key);
  const copy: Record<string, T> = {};
  for (const [entry, item] of Object.entries(value)) {
    if (!valid(item)) throw malformed(path, `${key}.${entry} must be ${what}`, `${key}.${entry}`);
    Object.defineProperty(copy, entry, { value: item, enumerable: true });
  }
  return Object.freeze(copy);
}

function lineage(value: unknown, path: string): Lineage {
  if (!isObject(value)) throw malformed(path, 'lineage must be an object', 'lineage');
  for (const key of Object.keys(value)) {
    if (!LINEAGE_KEYS.has(key)) throw malformed(path, `unknown field "lineage.${key}"`, `lineage.${key}`);
  }
  const { parent, examples, dissonanceMean, traceId } = value;
  if (parent !== undefined && !isString(parent))
    throw malformed(path, 'lineage.parent must be a string', 'lineage.parent');
  if (examples !== undefined && !(isSafeInteger(examples) && examples >= 0)) {
    throw malformed(path, 'lineage.examples must be an integer ≥ 0', 'lineage.examples');
  }
  if (dissonanceMean !== undefined && !isFiniteNumber(dissonanceMean)) {
    throw malformed(path, 'lineage.dissonanceMean must be a finite number', 'lineage.dissonanceMean');
  }
  if (traceId !== undefined && !isString(traceId))
    throw malformed(path, 'lineage.traceId must be a string', 'lineage.traceId');
  return Object.freeze({
    ...(parent === undefined ? {} : { parent }),
    ...(examples === undefined ? {} : { examples }),
    ...(dissonanceMean === undefined ? {} : { dissonanceMean }),
    ...(traceId === undefined ? {} : { traceId }),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isPositiveInteger(value: unknown): value is number {
  return isSafeInteger(value) && value >= 1;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'boolean' || isFiniteNumber(value);
}

function malformed(path: string, problem: string, field: string, cause?: unknown): DissonanceError {
  return new DissonanceError('E_MODEL', `model manifest ${path} is malformed: ${problem}`, {
    details: { path, field },
    ...(cause === undefined ? {} : { cause }),
  });
}
