import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DissonanceError } from '@dissonance/core';
import { parseCsvDataset, type Dataset } from '@dissonance/core/mlp';

/** Data sets the demo knows. */
export const DEMO_DATASETS: readonly string[] = ['digits', 'breast_cancer'];

/**
 * The repository's `examples/data` directory: walks up from this file until a directory holding
 * `examples/data` is found. Undefined when there is none (an installed package without the examples).
 */
export function findDataDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'examples', 'data');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Reads `<dataDir>/<name>.csv` as a {@link Dataset}.
 *
 * @throws DissonanceError `E_INPUT` for an unknown data set, a missing file or a malformed CSV (line named).
 */
export function loadDataset(name: string, dataDir?: string): Dataset {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new DissonanceError('E_INPUT', `dataset name ${JSON.stringify(name)} is not a plain name`);
  const dir = dataDir ?? findDataDir();
  if (dir === undefined) throw new DissonanceError('E_INPUT', 'no examples/data directory found; pass --data DIR');
  const path = join(dir, `${name}.csv`);
  if (!existsSync(path)) throw new DissonanceError('E_INPUT', `dataset ${JSON.stringify(name)}: ${path} not found`);
  return parseCsvDataset(readFileSync(path, 'utf8'), { source: path });
}
