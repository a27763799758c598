#!/usr/bin/env node
// API reports: the public surface of every publishable workspace package, one report per entry point
// (`exports` key with types), read from the BUILT declarations (dist/*.d.ts) with the TypeScript compiler API.
// Each report lists every exported name, sorted, with its declaration as the compiler prints it (comments
// removed), so that every change to the public surface shows in review as a change to a committed file.
//   npm run api:check    (node scripts/api-report.mjs --check) exits 1 with a diff when a built surface
//                        differs from the committed report, or a report is missing or left over
//   npm run api:update   (node scripts/api-report.mjs --update) rewrites the reports
// Reports live in packages/<pkg>/api/<entry>.api.md ('.' is `index`). Packages are discovered from the root
// package.json's workspaces, so a new package gets its reports on the next `npm run api:update`.
// Needs built dists (`npm run build` first); it says so when one is missing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.argv.includes('--update') ? 'update' : 'check';

/** Workspace directories matched by the root package.json's `workspaces` (`dir` and `dir/*` patterns). */
function workspaceDirs() {
  const patterns = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const dirs = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(join(parent, entry.name));
      }
    } else {
      dirs.push(join(root, pattern));
    }
  }
  return dirs.filter((dir) => existsSync(join(dir, 'package.json'))).sort();
}

/** The ESM types file of an `exports` entry, or undefined. */
function typesOf(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  if (typeof target.types === 'string' && !target.types.endsWith('.d.cts')) return target.types;
  for (const key of ['import', 'default', 'types']) {
    const found = key in target ? typesOf(target[key]) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Entry points of a package: `[{ name, types }]` from `exports` (or `types` when there is no `exports`). */
function entryPoints(pkg) {
  if (pkg.exports === undefined) return typeof pkg.types === 'string' ? [{ name: 'index', types: pkg.types }] : [];
  const exports =
    typeof pkg.exports === 'string' || pkg.exports['.'] === undefined ? { '.': pkg.exports } : pkg.exports;
  const entries = [];
  for (const [key, target] of Object.entries(exports)) {
    const types = typesOf(target);
    if (types === undefined) continue;
    entries.push({ name: key === '.' ? 'index' : key.replace(/^\.\//, '').replaceAll('/', '-'), types });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** The statement that holds a declaration (a variable's whole `declare const …` statement). */
function statementOf(node) {
  if (ts.isVariableDeclaration(node) && ts.isVariableDeclarationList(node.parent)) return node.parent.parent;
  return node;
}

/** Declaration text without modifiers that only say where the declaration sits (`export`, `declare`). */
function printDeclaration(node) {
  const text = printer.printNode(ts.EmitHint.Unspecified, statementOf(node), node.getSourceFile());
  return text.replace(/^(export )?(default )?(declare )?/, '');
}

/** The report of one entry point's declarations. */
function report(pkgName, entry, file, program) {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${file}: not a module`);
  const values = [];
  const types = [];
  const sections = [];
  for (const symbol of [...checker.getExportsOfModule(moduleSymbol)].sort((a, b) => a.name.localeCompare(b.name))) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
    (isValue ? values : types).push(symbol.name);
    const texts = [...new Set((target.declarations ?? []).map(printDeclaration))];
    const declaredAs = target.name !== symbol.name && target.name !== 'default' ? ` (declared as ${target.name})` : '';
    sections.push(`// ${symbol.name}${declaredAs}: ${isValue ? 'value' : 'type'}\n${texts.join('\n')}`);
  }
  const title = entry === 'index' ? pkgName : `${pkgName}/${entry}`;
  return [
    `# API report: ${title}`,
    '',
    '<!-- Generated by scripts/api-report.mjs from the built declarations. Do not edit: run `npm run api:update`. -->',
    '',
    `${values.length} runtime values, ${types.length} types.`,
    '',
    '```ts',
    sections.join('\n\n'),
    '```',
    '',
  ].join('\n');
}

/** A line diff (longest common subsequence) with two lines of context, for the check's failure message. */
function lineDiff(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ mark: ' ', text: a[i], line: i + 1 });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push({ mark: '-', text: a[i], line: i + 1 });
      i++;
    } else {
      ops.push({ mark: '+', text: b[j++], line: i + 1 });
    }
  }
  const near = ops.map(() => false);
  ops.forEach((op, k) => {
    if (op.mark !== ' ') for (let d = -2; d <= 2; d++) if (k + d >= 0 && k + d < ops.length) near[k + d] = true;
  });
  const out = [];
  ops.forEach((op, k) => {
    if (!near[k]) return;
    if (k === 0 || !near[k - 1]) out.push(`@@ line ${op.line} of the committed report`);
    out.push(`${op.mark} ${op.text}`);
  });
  return out.join('\n');
}

let failed = 0;
let written = 0;
let checked = 0;
for (const dir of workspaceDirs()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private === true) continue;
  const where = relative(root, dir);
  const entries = entryPoints(pkg);
  const missing = entries.filter(({ types }) => !existsSync(join(dir, types)));
  if (missing.length > 0) {
    console.error(
      `✖ ${where}: not built — missing ${missing.map((m) => m.types).join(', ')}. Run \`npm run build\` first.`,
    );
    failed += 1;
    continue;
  }
  const files = entries.map(({ types }) => join(dir, types));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  });
  const apiDir = join(dir, 'api');
  const expected = new Map(entries.map(({ name }, i) => [`${name}.api.md`, report(pkg.name, name, files[i], program)]));
  const present = existsSync(apiDir) ? readdirSync(apiDir).filter((name) => name.endsWith('.api.md')) : [];
  if (mode === 'update') {
    mkdirSync(apiDir, { recursive: true });
    for (const name of present) if (!expected.has(name)) rmSync(join(apiDir, name));
    for (const [name, text] of expected) {
      const path = join(apiDir, name);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
        writeFileSync(path, text);
        console.log(`updated ${relative(root, path)}`);
        written += 1;
      }
    }
    continue;
  }
  for (const name of present) {
    if (!expected.has(name)) {
      console.error(`✖ ${where}/api/${name}: no such entry point any more (run \`npm run api:update\`)`);
      failed += 1;
    }
  }
  for (const [name, text] of expected) {
    checked += 1;
    const path = join(apiDir, name);
    if (!existsSync(path)) {
      console.error(`✖ ${where}/api/${name}: missing (run \`npm run api:update\` and commit it)`);
      failed += 1;
    } else if (readFileSync(path, 'utf8') !== text) {
      console.error(
        `✖ ${where}/api/${name}: the built surface differs from the committed report (- committed, + built):`,
      );
      console.error(lineDiff(readFileSync(path, 'utf8'), text));
      failed += 1;
    }
  }
}

if (mode === 'update') {
  console.log(`api:update: ${written} report(s) written`);
} else if (failed > 0) {
  console.error(
    `\napi:check: ${failed} problem(s). If the change to the public surface is intended, run \`npm run api:update\` and commit the reports.`,
  );
  process.exit(1);
} else {
  console.log(`api:check: ${checked} report(s) match the built surface`);
}
