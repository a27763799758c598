import { readFile } from 'node:fs/promises';
import { DissonanceError } from '@dissonance/core';
import { REGISTRY_NAME } from '@dissonance/core/adapter-kit';
import { VERSION_NAME } from './manifest-file.js';

/**
 * Reads a model's `aliases.json` (alias → version). A missing file means no aliases. Anything but an object of
 * registry names to version numbers throws `E_MODEL` naming the file; other read errors are rethrown.
 */
export async function readAliases(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(path, `not JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(path, 'must hold a JSON object');
  const aliases = new Map<string, string>();
  for (const [alias, version] of Object.entries(value)) {
    if (!REGISTRY_NAME.test(alias)) throw malformed(path, `"${alias}" is not an alias name`);
    if (typeof version !== 'string' || !VERSION_NAME.test(version)) {
      throw malformed(path, `alias ${alias} must name a version number, got ${JSON.stringify(version)}`);
    }
    aliases.set(alias, version);
  }
  return aliases;
}

/** The text of `aliases.json` for these aliases, sorted by name. */
export function aliasesText(aliases: ReadonlyMap<string, string>): string {
  const sorted = [...aliases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`;
}

function malformed(path: string, problem: string, cause?: unknown): DissonanceError {
  return new DissonanceError('E_MODEL', `aliases file ${path} is malformed: ${problem}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}
