import { DissonanceError } from '../errors.js';
import type { Lineage, RegisterInput, Scalar } from '../ports/registry.js';

/** Model names and aliases: 1–200 characters of `[A-Za-z0-9._-]`. */
export const REGISTRY_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * Checks a {@link RegisterInput} the way every registry must (`E_INPUT` naming the field): a name of
 * `[A-Za-z0-9._-]`, a non-empty format, non-empty artifact bytes (at most `maxArtifactBytes`), positive
 * integer `inputWidth` and `classes`, finite metrics, scalar params (finite numbers), string tags, and a
 * well-typed lineage. Returns the normalized, frozen parts of the manifest it describes.
 */
export function checkRegisterInput(
  input: RegisterInput,
  maxArtifactBytes = Number.POSITIVE_INFINITY,
): {
  readonly metrics: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, Scalar>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly lineage: Lineage;
} {
  const value: unknown = input;
  if (typeof value !== 'object' || value === null) throw bad('input', 'must be an object');
  checkName(input.name, 'name');
  const artifact: unknown = input.artifact;
  if (typeof artifact !== 'object' || artifact === null) throw bad('artifact', 'must be an object');
  const { format, bytes } = artifact as { format?: unknown; bytes?: unknown };
  if (typeof format !== 'string' || format.length === 0) throw bad('artifact.format', 'must be a non-empty string');
  if (!(bytes instanceof Uint8Array)) throw bad('artifact.bytes', 'must be a Uint8Array');
  if (bytes.byteLength === 0) throw bad('artifact.bytes', 'must not be empty');
  if (bytes.byteLength > maxArtifactBytes) {
    throw bad('artifact.bytes', `holds ${bytes.byteLength} bytes, more than the limit of ${maxArtifactBytes}`);
  }
  checkPositiveInteger(input.inputWidth, 'inputWidth');
  checkPositiveInteger(input.classes, 'classes');
  return Object.freeze({
    metrics: frozenRecord(
      input.metrics,
      'metrics',
      (v) => typeof v === 'number' && Number.isFinite(v),
      'a finite number',
    ),
    params: frozenRecord(input.params, 'params', isScalar, 'a string, boolean or finite number'),
    tags: frozenRecord(input.tags, 'tags', (v) => typeof v === 'string', 'a string'),
    lineage: checkedLineage(input.lineage),
  });
}

/** Throws `E_INPUT` unless `name` matches {@link REGISTRY_NAME}. */
export function checkName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || !REGISTRY_NAME.test(name)) {
    throw bad(field, 'must be 1–200 characters of A–Z, a–z, 0–9, ".", "_" or "-"');
  }
}

function checkPositiveInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw bad(field, `must be a positive integer, got ${String(value)}`);
  }
}

function isScalar(value: unknown): boolean {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

function frozenRecord<T>(
  record: Readonly<Record<string, T>> | undefined,
  field: string,
  valid: (value: unknown) => boolean,
  expected: string,
): Readonly<Record<string, T>> {
  if (record === undefined) return Object.freeze({});
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw bad(field, 'must be an object');
  const copy: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key.length === 0) throw bad(field, 'keys must be non-empty');
    if (!valid(value)) throw bad(`${field}.${key}`, `must be ${expected}`);
    Object.defineProperty(copy, key, { value, enumerable: true });
  }
  return Object.freeze(copy);
}

function checkedLineage(lineage: Lineage | undefined): Lineage {
  if (lineage === undefined) return Object.freeze({});
  if (typeof lineage !== 'object' || lineage === null) throw bad('lineage', 'must be an object');
  const { parent, examples, dissonanceMean, traceId } = lineage as Partial<Record<keyof Lineage, unknown>>;
  if (parent !== undefined && typeof parent !== 'string') throw bad('lineage.parent', 'must be a string');
  if (examples !== undefined && (typeof examples !== 'number' || !Number.isSafeInteger(examples) || examples < 0)) {
    throw bad('lineage.examples', 'must be an integer ≥ 0');
  }
  if (dissonanceMean !== undefined && (typeof dissonanceMean !== 'number' || !Number.isFinite(dissonanceMean))) {
    throw bad('lineage.dissonanceMean', 'must be a finite number');
  }
  if (traceId !== undefined && typeof traceId !== 'string') throw bad('lineage.traceId', 'must be a string');
  return Object.freeze({
    ...(parent === undefined ? {} : { parent }),
    ...(examples === undefined ? {} : { examples }),
    ...(dissonanceMean === undefined ? {} : { dissonanceMean }),
    ...(traceId === undefined ? {} : { traceId }),
  });
}

function bad(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `register: ${field} ${problem}`, { details: { field } });
}
