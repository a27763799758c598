import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DissonanceError } from '@dissonance/core';
import { parseCsvDataset, type Dataset } from '@dissonance/core/mlp';

/** Data sets the demo knows. */
export const DEMO_DATASETS: readonly string[] = ['digits', 'breast_cancer'];

/**
 * The data sets shipped inside `@dissonance/cli` (its `data/` directory), found relative to this package's own
 * files: `<pkg>/src/demo/` when run from source (tsx, tests), `<pkg>/dist/` when built or installed. Undefined
 * when neither holds a `data/` directory. `from` (a directory of this package's code) exists for tests.
 */
export function findDataDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const here = resolve(from);
  const candidates = [join(here, '..', 'data'), join(here, '..', '..', 'data')];
  return candidates.find((dir) => existsSync(join(dir, 'README.md')) && existsSync(join(dir, 'digits.csv')));
}

/**
 * Reads `<dataDir>/<name>.csv` as a {@link Dataset}.
 *
 * @throws DissonanceError `E_INPUT` for an unknown data set, a missing file or a malformed CSV (line named).
 */
export function loadDataset(name: string, dataDir?: string): Dataset {
  if (!/^[A-Za-z0-9_-]+$/.test(name))
    throw new DissonanceError('E_INPUT', `dataset name ${JSON.stringify(name)} is not a plain name`);
  const dir = dataDir ?? findDataDir();
  if (dir === undefined)
    throw new DissonanceError('E_INPUT', 'no data directory found in @dissonance/cli; pass --data DIR');
  const path = join(dir, `${name}.csv`);
  if (!existsSync(path)) throw new DissonanceError('E_INPUT', `dataset ${JSON.stringify(name)}: ${path} not found`);
  return parseCsvDataset(readFileSync(path, 'utf8'), { source: path });
}
