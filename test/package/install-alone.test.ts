// Installs each published @dissonance/* package ALONE into a fresh project outside the workspace (from its
// packed tarball, plus the tarballs of the workspace packages it needs, since they are not on a registry; the
// rest from the local npm cache), runs the `<!-- install-check -->` block of the README it ships, and counts
// what the install put into node_modules against the budgets of issue 19:
//   npm i @dissonance/core  → at most 5 packages besides itself;
//   npm i @dissonance/node  → at most 10 besides itself and onnxruntime-node (with its own dependencies).
// The counts of every package are printed.
//
// Builds nothing: run `npm run build` first. Set DISSONANCE_KEEP_PACK_TMP=1 to keep the projects.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyClosure, installedPackages } from './support/installed.js';
import { describeRun, mustRun, npmInstall, pack, run, type PackageJson } from './support/npm.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Install budgets: packages besides the one installed, not counting `besides` and their dependencies. */
const BUDGETS: Record<string, { readonly max: number; readonly besides?: readonly string[] }> = {
  '@dissonance/core': { max: 5 },
  '@dissonance/node': { max: 10, besides: ['onnxruntime-node'] },
};

/** Publishable workspaces: packages/* and packages/adapters/*, minus private ones (as check-packages). */
function publishable(): { dir: string; pkg: PackageJson }[] {
  const dirsUnder = (parent: string): string[] =>
    existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true })
          .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
          .map((entry) => join(parent, entry.name))
          .sort()
      : [];
  return [...dirsUnder(join(ROOT, 'packages')), ...dirsUnder(join(ROOT, 'packages', 'adapters'))]
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson }))
    .filter(({ pkg }) => pkg.private !== true);
}

const PACKAGES = publishable();
const BY_NAME = new Map(PACKAGES.map((entry) => [entry.pkg.name, entry]));

/** The workspace packages `name` needs installed beside it: dependencies and required peers, transitively. */
function workspaceNeeds(name: string, seen = new Set<string>()): Set<string> {
  const entry = BY_NAME.get(name);
  if (!entry || seen.has(name)) return seen;
  seen.add(name);
  const optional = entry.pkg.peerDependenciesMeta ?? {};
  const peers = Object.keys(entry.pkg.peerDependencies ?? {}).filter((peer) => optional[peer]?.optional !== true);
  for (const dep of [...Object.keys(entry.pkg.dependencies ?? {}), ...peers]) workspaceNeeds(dep, seen);
  return seen;
}

/** The code block after `<!-- install-check -->` in a README. */
function installCheck(readme: string): string | undefined {
  const match = /<!-- install-check -->\s*```(?:js|ts|javascript)\n([\s\S]*?)```/.exec(readme);
  return match?.[1];
}

let tmp = '';
const tarballs = new Map<string, string>();
const counts: string[] = [];

beforeAll(async () => {
  const unbuilt = PACKAGES.filter(({ dir }) => !existsSync(join(dir, 'dist'))).map(({ dir }) => relative(ROOT, dir));
  if (unbuilt.length > 0)
    throw new Error(`packages are not built (${unbuilt.join(', ')}): run \`npm run build\` first`);
  tmp = await mkdtemp(join(tmpdir(), 'dissonance-alone-'));
  const inside = relative(ROOT, tmp);
  if (!inside.startsWith('..') && !isAbsolute(inside))
    throw new Error(`the temporary directory ${tmp} is inside the workspace ${ROOT}`);
  await mkdir(join(tmp, 'tarballs'));
  for (const { dir, pkg } of PACKAGES) tarballs.set(pkg.name, await pack(dir, join(tmp, 'tarballs')));
});

afterAll(async () => {
  if (counts.length > 0) console.log(`installed packages, each installed alone:\n${counts.join('\n')}`);
  if (tmp && process.env.DISSONANCE_KEEP_PACK_TMP !== '1') await rm(tmp, { recursive: true, force: true });
});

it('covers core, node, server, cli and browser', () => {
  expect([...BY_NAME.keys()]).toEqual(
    expect.arrayContaining([
      '@dissonance/core',
      '@dissonance/node',
      '@dissonance/server',
      '@dissonance/cli',
      '@dissonance/browser',
    ]),
  );
});

describe.each(PACKAGES.map(({ pkg }) => pkg.name))('npm install %s alone', (name) => {
  let project = '';

  beforeAll(async () => {
    project = join(tmp, name.replace('@dissonance/', ''));
    await mkdir(project);
    await mustRun('npm', ['init', '-y'], project);
    const specs = [...workspaceNeeds(name)].map((needed) => tarballs.get(needed) as string);
    await npmInstall(specs, project);
  });

  it('installs within its budget (printed for every package)', async () => {
    const installed = await installedPackages(project);
    const budget = BUDGETS[name];
    // The package itself is not counted; what it needs (the workspace packages included) is.
    const skipped = dependencyClosure(installed, budget?.besides ?? []);
    const counted = installed.filter((pkg) => pkg.name !== name && !skipped.has(pkg.name));
    counts.push(
      `  ${name}: ${counted.length} package(s) besides itself` +
        (skipped.size > 0
          ? ` (and ${[...skipped].join(', ')}: ${installed.length - counted.length - 1} not counted)`
          : '') +
        (budget ? `, budget ${budget.max}` : ''),
    );
    const names = counted.map((pkg) => pkg.name).sort();
    if (budget) expect(counted.length, `${name} installs ${names.join(', ')}`).toBeLessThanOrEqual(budget.max);
  });

  it('runs the install-check block of the README it ships', async () => {
    const readme = await readFile(join(project, 'node_modules', name, 'README.md'), 'utf8');
    const code = installCheck(readme);
    expect(code, `${name}/README.md has no <!-- install-check --> code block`).toBeDefined();
    await writeFile(join(project, 'check.mjs'), code as string);
    const result = await run(process.execPath, ['check.mjs'], project);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stderr, describeRun(result)).not.toContain('ExperimentalWarning');
    expect(result.stdout, describeRun(result)).toContain(name);
  });
});
