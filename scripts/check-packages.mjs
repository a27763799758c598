#!/usr/bin/env node
// Lints every publishable workspace package as it would be published:
//   - publint (strict: warnings count as errors) on the packed file list;
//   - @arethetypeswrong/cli (`attw --pack --profile node16`): types must resolve for
//     node16 ESM, node16 CJS and bundler resolution.
// Needs built dists (`npm run build` first); it says so when one is missing.
// Exits non-zero on any error or warning. publint suggestions are printed but do not fail.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = fileURLToPath(new URL('..', import.meta.url));
const attwBin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'attw.cmd' : 'attw');

/** Directories under `parent` that hold a package.json. */
function packageDirs(parent) {
  if (!existsSync(parent)) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
    .map((entry) => join(parent, entry.name))
    .sort();
}

/** Publishable workspaces: packages/* and packages/adapters/*, minus private ones. */
function publishablePackages() {
  const dirs = [...packageDirs(join(root, 'packages')), ...packageDirs(join(root, 'packages', 'adapters'))];
  return dirs
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => pkg.private !== true);
}

/** Files the package.json points at (main, module, types, exports leaves, bin). */
function declaredFiles(pkg) {
  const files = new Set();
  const walk = (value) => {
    if (typeof value === 'string') {
      if (value.startsWith('./') && !value.includes('*') && value !== './package.json') files.add(value);
    } else if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) walk(inner);
    }
  };
  for (const field of ['main', 'module', 'types', 'typings']) {
    if (typeof pkg[field] === 'string') files.add(pkg[field].startsWith('./') ? pkg[field] : `./${pkg[field]}`);
  }
  walk(pkg.exports);
  walk(typeof pkg.bin === 'string' ? { bin: pkg.bin } : pkg.bin);
  return [...files];
}

const packages = publishablePackages();
if (packages.length === 0) {
  console.error('check-packages: no publishable package found under packages/');
  process.exit(1);
}

let failed = 0;
for (const { dir, pkg } of packages) {
  const where = relative(root, dir);
  console.log(`\n━━ ${pkg.name} (${where})`);

  const missing = declaredFiles(pkg).filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    console.error(`✖ ${where}: not built — missing ${missing.join(', ')}. Run \`npm run build\` first.`);
    failed += 1;
    continue;
  }

  const { messages, pkg: packed } = await publint({ pkgDir: dir, level: 'suggestion', strict: true, pack: 'npm' });
  const problems = messages.filter((m) => m.type === 'error' || m.type === 'warning');
  for (const message of messages) {
    console.log(`  publint ${message.type}: ${formatMessage(message, packed, { color: false })}`);
  }
  if (problems.length > 0) {
    console.error(`✖ publint: ${problems.length} problem(s)`);
    failed += 1;
  } else {
    console.log(`✔ publint${messages.length > 0 ? ` (${messages.length} suggestion(s))` : ''}`);
  }

  const attw = spawnSync(attwBin, ['--pack', dir, '--profile', 'node16', '--no-color'], {
    cwd: root,
    encoding: 'utf8',
    // npm pack inside attw must not inherit a parent npm's settings (e.g. from `npm run`).
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  });
  process.stdout.write(attw.stdout ?? '');
  process.stderr.write(attw.stderr ?? '');
  if (attw.error || attw.status !== 0) {
    console.error(`✖ attw (node16 + bundler resolution): ${attw.error ? attw.error.message : `exit ${attw.status}`}`);
    failed += 1;
  } else {
    console.log('✔ attw (node16 ESM, node16 CJS, bundler)');
  }
}

if (failed > 0) {
  console.error(`\ncheck-packages: ${failed} check(s) failed across ${packages.length} package(s)`);
  process.exit(1);
}
console.log(`\ncheck-packages: ${packages.length} package(s) OK`);
