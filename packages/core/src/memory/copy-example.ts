import { DissonanceError } from '../errors.js';
import type { LabelOrigin, Provenance, Target, TrainingExample } from '../ports/batch.js';

const ORIGINS: ReadonlySet<string> = new Set<LabelOrigin>(['oracle', 'pseudo', 'critic', 'feedback']);

/**
 * Checks one training example and returns a private deep copy of it (its own `Float32Array`s), holding only
 * the fields of {@link TrainingExample}. Throws `E_INPUT` naming the field (`where` prefixes the path):
 * empty id, features that are not a `Float32Array` of finite values, a bad target, weight not > 0,
 * incomplete provenance.
 */
export function checkedExampleCopy(value: TrainingExample, where: string): TrainingExample {
  const example: unknown = value;
  if (typeof example !== 'object' || example === null) throw bad(where, 'is not an object');
  const { id, x, target, weight, provenance } = example as Partial<Record<keyof TrainingExample, unknown>>;
  if (typeof id !== 'string' || id.length === 0) throw bad(`${where}.id`, 'must be a non-empty string');
  if (!(x instanceof Float32Array)) throw bad(`${where}.x`, 'must be a Float32Array');
  checkFinite(x, `${where}.x`);
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw bad(`${where}.weight`, 'must be a finite number > 0');
  }
  return {
    id,
    x: x.slice(),
    target: checkedTarget(target, `${where}.target`),
    weight,
    provenance: checkedProvenance(provenance, `${where}.provenance`),
  };
}

/** A deep copy of an example already checked: what a caller may mutate without touching the original. */
export function exampleCopy(example: TrainingExample): TrainingExample {
  return {
    id: example.id,
    x: example.x.slice(),
    target:
      example.target.kind === 'soft' ? { kind: 'soft', probs: example.target.probs.slice() } : { ...example.target },
    weight: example.weight,
    provenance: { ...example.provenance },
  };
}

function checkedTarget(value: unknown, path: string): Target {
  if (typeof value !== 'object' || value === null) throw bad(path, 'must be an object');
  const target = value as { kind?: unknown; label?: unknown; probs?: unknown };
  if (target.kind === 'hard') {
    const label = target.label;
    if (typeof label !== 'number' || !Number.isSafeInteger(label) || label < 0) {
      throw bad(`${path}.label`, 'must be an integer ≥ 0');
    }
    return { kind: 'hard', label };
  }
  if (target.kind === 'soft') {
    const probs = target.probs;
    if (!(probs instanceof Float32Array)) throw bad(`${path}.probs`, 'must be a Float32Array');
    checkFinite(probs, `${path}.probs`);
    return { kind: 'soft', probs: probs.slice() };
  }
  throw bad(`${path}.kind`, "must be 'hard' or 'soft'");
}

function checkedProvenance(value: unknown, path: string): Provenance {
  if (typeof value !== 'object' || value === null) throw bad(path, 'must be an object');
  const p = value as Partial<Record<keyof Provenance, unknown>>;
  if (typeof p.itemId !== 'string' || p.itemId.length === 0) throw bad(`${path}.itemId`, 'must be a non-empty string');
  if (typeof p.origin !== 'string' || !ORIGINS.has(p.origin))
    throw bad(`${path}.origin`, `must be one of ${[...ORIGINS].join(', ')}`);
  if (typeof p.dissonance !== 'number' || !Number.isFinite(p.dissonance))
    throw bad(`${path}.dissonance`, 'must be a finite number');
  if (typeof p.proposerVersion !== 'string') throw bad(`${path}.proposerVersion`, 'must be a string');
  if (typeof p.at !== 'number' || !Number.isFinite(p.at)) throw bad(`${path}.at`, 'must be a finite number');
  if (p.traceId !== undefined && typeof p.traceId !== 'string') throw bad(`${path}.traceId`, 'must be a string');
  if (p.spanId !== undefined && typeof p.spanId !== 'string') throw bad(`${path}.spanId`, 'must be a string');
  return {
    itemId: p.itemId,
    origin: p.origin as LabelOrigin,
    dissonance: p.dissonance,
    proposerVersion: p.proposerVersion,
    at: p.at,
    ...(p.traceId === undefined ? {} : { traceId: p.traceId }),
    ...(p.spanId === undefined ? {} : { spanId: p.spanId }),
  };
}

function checkFinite(values: Float32Array, path: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw bad(`${path}[${i}]`, `${values[i]} is not a finite number`);
  }
}

function bad(path: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${path} ${problem}`, { details: { field: path } });
}
