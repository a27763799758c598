import { DissonanceError } from '../errors.js';

/**
 * Paging shared by the registries: tokens read `before:<n>` (the next page starts at the newest version below
 * `n`), so a token stays valid while versions are added; `pageSize` is 1–1000, default 100.
 */
const PAGE_TOKEN = /^before:([1-9][0-9]{0,15})$/;

/** Smallest and largest `pageSize` of `list`, and its default. */
export const PAGE_SIZE = { min: 1, max: 1000, default: 100 } as const;

/** The version bound a page token carries; `E_INPUT` for a token this registry did not issue. */
export function parsePageToken(token: unknown): number {
  const match = typeof token === 'string' ? PAGE_TOKEN.exec(token) : null;
  const n = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(n)) {
    throw new DissonanceError('E_INPUT', 'pageToken is not one this registry issued', {
      details: { field: 'pageToken' },
    });
  }
  return n;
}

/** The token for the page of versions below `n`. */
export function pageTokenBelow(n: number): string {
  return `before:${n}`;
}

/** Checks `pageSize` (`E_INPUT` outside 1–1000) and applies the default. */
export function checkPageSize(pageSize: unknown): number {
  const size = pageSize ?? PAGE_SIZE.default;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < PAGE_SIZE.min || size > PAGE_SIZE.max) {
    throw new DissonanceError(
      'E_INPUT',
      `pageSize must be an integer in ${PAGE_SIZE.min}…${PAGE_SIZE.max}, got ${String(size)}`,
      {
        details: { field: 'pageSize' },
      },
    );
  }
  return size;
}
