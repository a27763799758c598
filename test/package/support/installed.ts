// What an `npm install` put into a project's node_modules, counted the way the install budgets are stated.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One installed package: its name and the directory it is in. */
export interface InstalledPackage {
  readonly name: string;
  readonly dir: string;
  readonly dependencies: readonly string[];
}

async function packageAt(dir: string): Promise<InstalledPackage | undefined> {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  const pkg = JSON.parse(await readFile(file, 'utf8')) as {
    name?: unknown;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  if (typeof pkg.name !== 'string') return undefined;
  return { name: pkg.name, dir, dependencies: Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }) };
}

/** Every package under `<project>/node_modules`, nested ones included (`.bin`, `.package-lock.json` aside). */
export async function installedPackages(project: string): Promise<InstalledPackage[]> {
  const found: InstalledPackage[] = [];
  async function walk(modules: string): Promise<void> {
    if (!existsSync(modules)) return;
    for (const entry of await readdir(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const dirs = entry.name.startsWith('@')
        ? (await readdir(join(modules, entry.name), { withFileTypes: true }))
            .filter((e) => e.isDirectory())
            .map((e) => join(modules, entry.name, e.name))
        : [join(modules, entry.name)];
      for (const dir of dirs) {
        const pkg = await packageAt(dir);
        if (pkg) found.push(pkg);
        await walk(join(dir, 'node_modules'));
      }
    }
  }
  await walk(join(project, 'node_modules'));
  return found;
}

/** The names of `roots` and of every package they depend on, transitively, among `installed`. */
export function dependencyClosure(installed: readonly InstalledPackage[], roots: readonly string[]): Set<string> {
  const byName = new Map<string, InstalledPackage[]>();
  for (const pkg of installed) byName.set(pkg.name, [...(byName.get(pkg.name) ?? []), pkg]);
  const seen = new Set<string>();
  const queue = roots.filter((name) => byName.has(name));
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const pkg of byName.get(name) ?? []) for (const dep of pkg.dependencies) if (byName.has(dep)) queue.push(dep);
  }
  return seen;
}
