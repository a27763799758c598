import { readFile } from 'node:fs/promises';
import { DissonanceError } from '@dissonance/core';

/**
 * Reads a JSON config file and returns its parsed content, unvalidated: pass the result to the
 * schema of whatever it configures.
 *
 * @param path - path of the file, absolute or relative to the current directory.
 * @throws DissonanceError `E_CONFIG` naming the path when the file cannot be read (missing, a
 *   directory, no permission) or is not valid JSON; `details.path` holds the path.
 */
export async function loadConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(error)})`;
    throw new DissonanceError('E_CONFIG', `config file ${path}: ${reason}`, {
      cause: error,
      details: { path },
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DissonanceError('E_CONFIG', `config file ${path}: invalid JSON: ${reason}`, {
      cause: error,
      details: { path },
    });
  }
}
