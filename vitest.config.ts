import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Workspace packages resolved from their TypeScript source, so unit tests need no build.
 * Exact-match regexes: `@dissonance/core` must not swallow `@dissonance/core/testing`.
 * The `package` project does not use these: it tests the built, packed tarballs.
 */
const sourceAliases = [
  { find: /^@dissonance\/core$/, replacement: fromRoot('./packages/core/src/index.ts') },
  { find: /^@dissonance\/core\/mlp$/, replacement: fromRoot('./packages/core/src/mlp.ts') },
  { find: /^@dissonance\/core\/adapter-kit$/, replacement: fromRoot('./packages/core/src/adapter-kit/index.ts') },
  { find: /^@dissonance\/core\/testing$/, replacement: fromRoot('./packages/core/src/testing/index.ts') },
  { find: /^@dissonance\/node$/, replacement: fromRoot('./packages/node/src/index.ts') },
  { find: /^@dissonance\/browser$/, replacement: fromRoot('./packages/browser/src/index.ts') },
];

export default defineConfig({
  test: {
    // Later issues add a `browser` project.
    projects: [
      {
        resolve: { alias: sourceAliases },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['packages/*/test/**/*.test.ts', 'packages/adapters/*/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', '**/*.integration.test.ts'],
        },
      },
      {
        // Tests that need the Python venv (.venv, scripts/python-env.sh) or other real services.
        resolve: { alias: sourceAliases },
        test: {
          name: 'integration',
          environment: 'node',
          include: ['packages/*/test/**/*.integration.test.ts', 'packages/adapters/*/test/**/*.integration.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The standing adversarial suite (issue 20): attacks on the HTTP surface, the envelopes and the
        // append-only files, each bounded in time. Runs in `npm test` like every other project.
        resolve: { alias: sourceAliases },
        test: {
          name: 'adversarial',
          environment: 'node',
          include: ['test/adversarial/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'package',
          environment: 'node',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
