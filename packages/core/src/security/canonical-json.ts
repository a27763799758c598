import { DissonanceError } from '../errors.js';

/** A JSON value that {@link canonicalJson} accepts. */
export type CanonicalValue =
  string | number | boolean | null | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue };

/**
 * Deterministic JSON: object keys sorted by UTF-16 code units, no whitespace, numbers as `JSON.stringify`
 * writes them. The same value gives the same text on every platform, so the text can be signed.
 * Non-finite numbers, `undefined`, functions and other non-JSON values → `E_INPUT`.
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new DissonanceError('E_INPUT', `canonical JSON: ${value} is not a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: CanonicalValue) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => {
        const item = (value as { readonly [key: string]: CanonicalValue })[key];
        if (item === undefined) throw new DissonanceError('E_INPUT', `canonical JSON: field "${key}" is undefined`);
        return `${JSON.stringify(key)}:${canonicalJson(item)}`;
      });
    return `{${entries.join(',')}}`;
  }
  throw new DissonanceError('E_INPUT', `canonical JSON: a ${typeof value} is not a JSON value`);
}
