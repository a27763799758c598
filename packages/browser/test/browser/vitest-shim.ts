/**
 * The corner of vitest that core's contract suites use (describe, it, afterEach, expect with toBe, toEqual,
 * toBeUndefined, toBeInstanceOf, context.skip), for running them inside a Chromium page. `toEqual` is vitest's
 * own equality (`equals` with `iterableEquality` from @vitest/expect), so a contract passes here exactly when
 * it would pass under vitest. Bundled into the test page in place of `vitest`.
 */
import { equals, iterableEquality } from '@vitest/expect';

type TestFn = (context: { skip: () => never }) => unknown;

interface Registered {
  readonly name: string;
  readonly fn: TestFn;
  readonly afterEach: Array<() => unknown>;
}

/** One contract test's outcome. */
export interface ShimResult {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly error?: string;
}

const tests: Registered[] = [];
const prefix: string[] = [];
let hooks: Array<() => unknown> = [];

class Skip extends Error {}

export function describe(name: string, body: () => void): void {
  const saved = hooks;
  hooks = [];
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
    hooks = saved;
  }
}

export function it(name: string, fn: TestFn): void {
  tests.push({ name: [...prefix, name].join(' > '), fn, afterEach: hooks });
}

export const test = it;

export function afterEach(fn: () => unknown): void {
  hooks.push(fn);
}

/** Runs every registered test in order (and its afterEach hooks), then forgets them. */
export async function runRegistered(): Promise<ShimResult[]> {
  const results: ShimResult[] = [];
  for (const t of tests.splice(0)) {
    let status: ShimResult['status'] = 'passed';
    let error: string | undefined;
    try {
      await t.fn({
        skip: () => {
          throw new Skip('skipped');
        },
      });
    } catch (caught) {
      if (caught instanceof Skip) status = 'skipped';
      else {
        status = 'failed';
        error = caught instanceof Error ? `${caught.message}\n${caught.stack ?? ''}` : String(caught);
      }
    }
    for (const hook of t.afterEach) {
      try {
        await hook();
      } catch (caught) {
        status = 'failed';
        error = `${error ?? ''}afterEach: ${caught instanceof Error ? caught.message : String(caught)}`;
      }
    }
    results.push({ name: t.name, status, ...(error === undefined ? {} : { error }) });
  }
  return results;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

export function expect(actual: unknown): {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): void;
} {
  return {
    toBe(expected) {
      if (!Object.is(actual, expected)) throw new Error(`expected ${show(actual)} to be ${show(expected)}`);
    },
    toEqual(expected) {
      if (!equals(actual, expected, [iterableEquality])) throw new Error(`expected ${show(actual)} to equal ${show(expected)}`);
    },
    toBeUndefined() {
      if (actual !== undefined) throw new Error(`expected ${show(actual)} to be undefined`);
    },
    toBeInstanceOf(type) {
      if (!(actual instanceof type)) throw new Error(`expected ${show(actual)} to be an instance of ${type.name}`);
    },
  };
}
