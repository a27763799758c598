import { join } from 'node:path';

/**
 * The Python of the project's venv (`.venv/bin/python`, made by scripts/python-env.sh); `DISSONANCE_PYTHON`
 * overrides it (a venv elsewhere, e.g. the one the shared services run from).
 */
export function venvPython(root: string): string {
  const override = process.env.DISSONANCE_PYTHON;
  return override !== undefined && override !== '' ? override : join(root, '.venv/bin/python');
}
