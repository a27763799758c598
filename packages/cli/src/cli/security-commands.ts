import type { CliIo } from '../run-cli.js';
import { runKeysCommand } from './keys-command.js';
import { runSignCommand } from './sign-command.js';
import { runVerifyCommand } from './verify-command.js';

/** The CLI's security commands: `keys`, `sign`, `verify`. */
export const SECURITY_COMMANDS = ['keys', 'sign', 'verify'] as const;

/** True when `name` is one of {@link SECURITY_COMMANDS}. */
export function isSecurityCommand(name: string | undefined): name is (typeof SECURITY_COMMANDS)[number] {
  return (SECURITY_COMMANDS as readonly (string | undefined)[]).includes(name);
}

/** Runs `dissonance keys|sign|verify …`; resolves to the exit code. */
export function runSecurityCommand(
  name: (typeof SECURITY_COMMANDS)[number],
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  if (name === 'keys') return runKeysCommand(argv, io);
  if (name === 'sign') return runSignCommand(argv, io);
  return runVerifyCommand(argv, io);
}
