import { execFileSync } from 'node:child_process';

/** `ldconfig -p` output (the dynamic loader's cache), or undefined when ldconfig cannot be run. */
export function ldconfigCache(): string | undefined {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      return execFileSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // try the next location
    }
  }
  return undefined;
}
