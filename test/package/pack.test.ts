// Packs the built @dissonance/* packages, installs the tarballs TOGETHER into a fresh project outside the
// workspace (install-alone.test.ts installs each alone and counts), and checks that they typecheck and run as a user would get them: ESM and CJS,
// TypeScript `nodenext` resolution with skipLibCheck off, the `dissonance` bin, and no
// ExperimentalWarning (e.g. from require() of an ES module).
//
// Builds nothing: run `npm run build` first. Set DISSONANCE_KEEP_PACK_TMP=1 to keep the project.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, mustRun, npmInstall, pack, run, type RunResult } from './support/npm.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'node', 'server', 'cli', 'browser'] as const;
const QUICKSTART = join(ROOT, 'examples', 'quickstart', 'quickstart.ts');

/** Files each package must have built before it can be packed. */
const BUILT_FILES: Record<(typeof PACKAGES)[number], string[]> = {
  core: [
    ...['index', 'mlp', 'adapter-kit'].flatMap((entry) => [
      `dist/${entry}.js`,
      `dist/${entry}.cjs`,
      `dist/${entry}.d.ts`,
      `dist/${entry}.d.cts`,
    ]),
    'dist/testing.js',
    'dist/testing.cjs',
  ],
  node: ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/train-worker.js'],
  server: ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts'],
  cli: [
    'dist/index.js',
    'dist/index.cjs',
    'dist/index.d.ts',
    'dist/index.d.cts',
    'dist/cli.js',
    'bin/dissonance.js',
    'data/digits.csv',
  ],
  browser: ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts'],
};

/** Asserts a clean run: exit 0 and no ExperimentalWarning on stderr. */
function expectClean(result: RunResult): void {
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.stderr, describeRun(result)).not.toContain('ExperimentalWarning');
}

function lastLine(text: string): string | undefined {
  return text.trimEnd().split(/\r?\n/).at(-1);
}

// Type-level and runtime check of the other packages, written once, compiled as .mts and .cts.
const CONSUMER = `import { DissonanceError } from '@dissonance/core';
import { loadConfigFile, VERSION } from '@dissonance/node';
import { hasWebGpu, VERSION as BROWSER_VERSION } from '@dissonance/browser';
import { openApiDocument, VERSION as SERVER_VERSION } from '@dissonance/server';
import { DEMO_DATASETS, VERSION as CLI_VERSION } from '@dissonance/cli';

async function main(): Promise<void> {
  const version: string = VERSION;
  const browserVersion: string = BROWSER_VERSION;
  const webGpu: boolean = hasWebGpu();
  const error: unknown = await loadConfigFile('./no-such-config.json').catch((e: unknown) => e);
  if (!(error instanceof DissonanceError) || error.code !== 'E_CONFIG') {
    throw new Error('loadConfigFile did not throw a DissonanceError E_CONFIG: ' + String(error));
  }
  const serverVersion: string = SERVER_VERSION;
  const cliVersion: string = CLI_VERSION;
  const paths: number = Object.keys(openApiDocument(serverVersion).paths ?? {}).length;
  if (paths === 0 || !DEMO_DATASETS.includes('digits')) throw new Error('server or cli exports are empty');
  console.log(version, browserVersion, webGpu, serverVersion, cliVersion);
  console.log('consumer ok');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

describe('packed packages in a fresh project', () => {
  let tmp = '';
  let project = '';
  let tsc: RunResult;
  const versions: Record<string, string> = {};

  beforeAll(async () => {
    const unbuilt = PACKAGES.flatMap((name) =>
      BUILT_FILES[name]
        .filter((file) => !existsSync(join(ROOT, 'packages', name, file)))
        .map((file) => `packages/${name}/${file}`),
    );
    if (unbuilt.length > 0) {
      throw new Error(`packages are not built (missing ${unbuilt.join(', ')}): run \`npm run build\` first`);
    }
    if (!existsSync(QUICKSTART)) throw new Error(`missing ${relative(ROOT, QUICKSTART)}`);

    tmp = await mkdtemp(join(tmpdir(), 'dissonance-pack-'));
    const inside = relative(ROOT, tmp);
    if (!inside.startsWith('..') && !isAbsolute(inside)) {
      throw new Error(`the temporary project ${tmp} is inside the workspace ${ROOT}; point TMPDIR elsewhere`);
    }
    const tarballs = join(tmp, 'tarballs');
    project = join(tmp, 'project');
    await mkdir(tarballs);
    await mkdir(project);

    const packed: string[] = [];
    for (const name of PACKAGES) {
      const dir = join(ROOT, 'packages', name);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
      versions[pkg.name] = pkg.version;
      packed.push(await pack(dir, tarballs));
    }

    await mustRun('npm', ['init', '-y'], project);
    await npmInstall([...packed, '@opentelemetry/api@^1.9.0', 'typescript@5.9', '@types/node@20'], project);

    await copyFile(QUICKSTART, join(project, 'quickstart.mts'));
    await copyFile(QUICKSTART, join(project, 'quickstart.cts'));
    await writeFile(join(project, 'consumer.mts'), CONSUMER);
    await writeFile(join(project, 'consumer.cts'), CONSUMER);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            target: 'es2022',
            types: ['node'],
            skipLibCheck: false,
          },
          files: ['quickstart.mts', 'quickstart.cts', 'consumer.mts', 'consumer.cts'],
        },
        null,
        2,
      ),
    );
    tsc = await run('npx', ['--no', '--', 'tsc', '-p', '.'], project);
  });

  afterAll(async () => {
    if (tmp && process.env.DISSONANCE_KEEP_PACK_TMP !== '1') await rm(tmp, { recursive: true, force: true });
  });

  it('installs every package from its tarball, with one shared @dissonance/core', async () => {
    for (const [name, version] of Object.entries(versions)) {
      const installed = JSON.parse(await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(installed.version, name).toBe(version);
    }
    for (const dependent of ['@dissonance/node', '@dissonance/server', '@dissonance/cli', '@dissonance/browser']) {
      expect(
        existsSync(join(project, 'node_modules', dependent, 'node_modules', '@dissonance', 'core')),
        dependent,
      ).toBe(false);
    }
  });

  it('typechecks in ESM and CJS resolution modes (nodenext, skipLibCheck off)', () => {
    expect(tsc.code, describeRun(tsc)).toBe(0);
    for (const file of ['quickstart.mjs', 'quickstart.cjs', 'consumer.mjs', 'consumer.cjs']) {
      expect(existsSync(join(project, file)), file).toBe(true);
    }
  });

  it.each(['quickstart.mjs', 'quickstart.cjs'])('node %s prints "quickstart ok"', async (file) => {
    const result = await run(process.execPath, [file], project);
    expectClean(result);
    expect(lastLine(result.stdout), describeRun(result)).toBe('quickstart ok');
  });

  it.each(['consumer.mjs', 'consumer.cjs'])(
    'node %s uses @dissonance/node, /server, /cli and /browser',
    async (file) => {
      const result = await run(process.execPath, [file], project);
      expectClean(result);
      expect(lastLine(result.stdout), describeRun(result)).toBe('consumer ok');
    },
  );

  const ALL = ['@dissonance/core', '@dissonance/node', '@dissonance/server', '@dissonance/cli', '@dissonance/browser'];

  it.each(ALL)('require(%s) loads CJS', async (name) => {
    expectClean(await run(process.execPath, ['-e', `require(${JSON.stringify(name)})`], project));
  });

  it.each(ALL)('import(%s) loads ESM', async (name) => {
    expectClean(
      await run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(name)})`], project),
    );
  });

  it.each(['@dissonance/core/mlp', '@dissonance/core/adapter-kit'])(
    'subpath %s loads as CJS and as ESM',
    async (name) => {
      expectClean(await run(process.execPath, ['-e', `require(${JSON.stringify(name)})`], project));
      expectClean(
        await run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(name)})`], project),
      );
    },
  );

  it('`dissonance --version` prints the version of @dissonance/cli', async () => {
    const result = await run('npx', ['--no', '--', 'dissonance', '--version'], project);
    expectClean(result);
    expect(result.stdout.trim()).toBe(versions['@dissonance/cli']);
  });

  it('`dissonance` with an unknown command exits 2', async () => {
    const result = await run('npx', ['--no', '--', 'dissonance', 'no-such-command'], project);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr).toContain('unknown command');
  });
});
