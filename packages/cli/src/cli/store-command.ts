import { resolve, join } from 'node:path';
import { isDissonanceError } from '@dissonance/core';
import { unlockLockFile } from '@dissonance/node';
import type { CliIo } from '../run-cli.js';
import { parseCommandArgs } from './cli-args.js';

/** The text of `dissonance store --help`. */
export const STORE_HELP = `Usage: dissonance store unlock --dir <store dir> [--force]

Recovers a file store whose store.lock names a process that no longer runs. A stale lock (its pid is gone
from this host, or its lease was not refreshed in time) is removed. A lock whose holder cannot be proved gone
(a pid alive on this host, which may be another process reusing the pid, or a holder on another host that
wrote no lease) is removed only with --force. A lock whose lease is being refreshed is never removed: its
holder runs. Exit 0 when the store is unlocked (or was not locked), 1 when refused.

Options:
  --dir DIR     the store directory (the one holding store.lock)
  --force       remove a lock whose holder cannot be proved gone
  -h, --help    print this help
`;

/** `dissonance store unlock`: exit 0 unlocked, 1 refused (reason on stderr), 2 on a bad command line. */
export async function runStoreCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, {
    dir: { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (typeof parsed === 'string') return usage(io, parsed);
  if (parsed.values.help === true) {
    io.out(STORE_HELP);
    return 0;
  }
  const [action, extra] = parsed.positionals;
  if (action !== 'unlock')
    return usage(io, action === undefined ? 'the action is missing (unlock)' : `unknown action "${action}"`);
  if (extra !== undefined) return usage(io, `unexpected argument "${extra}"`);
  const dir = parsed.values.dir;
  if (typeof dir !== 'string' || dir.length === 0) return usage(io, '--dir is required');
  const path = join(resolve(dir), 'store.lock');
  try {
    const outcome = await unlockLockFile(path, { force: parsed.values.force === true });
    if (outcome.result === 'absent') io.out(`not locked: ${path} does not exist\n`);
    else
      io.out(`unlocked: removed ${path}, held by ${outcome.holder}${outcome.result === 'forced' ? ' (forced)' : ''}\n`);
    return 0;
  } catch (error) {
    io.err(`dissonance store: ${isDissonanceError(error) || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function usage(io: CliIo, message: string): number {
  io.err(`dissonance store: ${message}\nRun "dissonance store --help" for usage.\n`);
  return 2;
}
