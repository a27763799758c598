// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node built-ins that `@dissonance/core` must never import (it runs in browsers too). */
const NODE_BUILTINS = [
  'fs',
  'path',
  'crypto',
  'os',
  'child_process',
  'http',
  'https',
  'net',
  'stream',
  'url',
  'util',
  'buffer',
  'events',
  'worker_threads',
];

/** Globals that exist only in browsers or only in Node; core reaches neither. */
const PLATFORM_GLOBALS = [
  'window',
  'document',
  'navigator',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'HTMLElement',
  'process',
  'Buffer',
  'require',
  '__dirname',
];

/**
 * The package graph (docs/architecture.md): core imports no other package; node imports core only; server
 * imports core and node; cli imports any of them. Each entry: the files, and the packages they must not import.
 */
const LAYERS = [
  {
    files: 'packages/node/src/**',
    name: '@dissonance/node',
    banned: ['@dissonance/server', '@dissonance/cli', '@dissonance/browser', '@dissonance/adapter-*'],
  },
  {
    files: 'packages/server/src/**',
    name: '@dissonance/server',
    banned: ['@dissonance/cli', '@dissonance/browser', '@dissonance/adapter-*'],
  },
];

/** The import patterns of the packages `banned`, with what to do instead. */
function layerPatterns(name, banned) {
  return [
    {
      group: banned.flatMap((pkg) => [pkg, `${pkg}/*`]),
      message: `${name} must not import a package above it (core ← node ← server ← cli; see docs/architecture.md).`,
    },
  ];
}

const unusedVars = [
  'error',
  {
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
  },
];

export default defineConfig([
  globalIgnores(['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/.venv/**', '**/.tmp/**', '**/reports/**']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.es2022 },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': unusedVars,
    },
  },
  {
    // Tooling, tests, examples, benches and the Node package run on Node.
    files: [
      '*.{js,mjs,cjs,ts}',
      'scripts/**',
      'test/**',
      'bench/**',
      'examples/**',
      'packages/*/test/**',
      'packages/adapters/*/test/**',
      'packages/node/**',
      'packages/server/**',
      'packages/cli/**',
      'packages/adapters/*/src/**',
      '.ci/**',
    ],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Keep core isomorphic: no Node built-ins, no DOM or Node-only globals.
    files: ['packages/core/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: '@dissonance/core is isomorphic: no Node built-ins (put it in @dissonance/node or behind a port).',
          })),
          patterns: [
            {
              group: ['node:*', ...NODE_BUILTINS.map((name) => `${name}/*`)],
              message:
                '@dissonance/core is isomorphic: no Node built-ins (put it in @dissonance/node or behind a port).',
            },
            {
              group: ['@dissonance/*', '!@dissonance/core', '!@dissonance/core/*'],
              message: '@dissonance/core imports none of the other packages: they depend on it (docs/architecture.md).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...PLATFORM_GLOBALS.map((name) => ({
          name,
          message: '@dissonance/core is isomorphic: no browser-only or Node-only globals.',
        })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^node:/]',
          message: '@dissonance/core is isomorphic: no Node built-ins, not even through import().',
        },
      ],
    },
  },
  ...LAYERS.map(({ files, name, banned }) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(name, banned) }] },
  })),
  {
    // The browser package must not pull in Node built-ins either.
    files: ['packages/browser/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: '@dissonance/browser runs in browsers: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['node:*', ...NODE_BUILTINS.map((name) => `${name}/*`)],
              message: '@dissonance/browser runs in browsers: no Node built-ins.',
            },
          ],
        },
      ],
    },
  },
]);
