import { DissonanceError } from '../errors.js';
import type { JsonValue } from '../ports/store.js';

/** Deepest nesting accepted: deeper values (or cycles) are refused rather than overflowing the stack. */
const MAX_DEPTH = 256;

/**
 * A deep copy of `value` that is guaranteed to be JSON: `null`, booleans, strings, finite numbers, arrays and
 * plain objects only. Anything else (`undefined`, NaN, ±Infinity, functions, class instances, typed arrays,
 * cycles) throws `E_INPUT` naming where it was found (`where` is the root's name in that path).
 */
export function cloneJson(value: unknown, where: string): JsonValue {
  return clone(value, where, 0);
}

function clone(value: unknown, path: string, depth: number): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw notJson(path, `${value} is not a finite number`);
  }
  if (depth >= MAX_DEPTH) throw notJson(path, `nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    return items.map((item, i) => clone(item, `${path}[${i}]`, depth + 1));
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      const copy = clone(item, `${path}.${key}`, depth + 1);
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
      else out[key] = copy;
    }
    return out;
  }
  throw notJson(path, `${describe(value)} is not JSON`);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return (value.constructor as { name?: string } | undefined)?.name ?? 'object';
}

function notJson(path: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${path}: ${problem}`, { details: { field: path } });
}
