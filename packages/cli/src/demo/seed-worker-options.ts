import { availableParallelism } from 'node:os';
import { isDissonanceError } from '@dissonance/core';

/** How the CLI's own script is named when it is the process: `cli.js` (built), `cli.ts` (tsx) or the bin. */
const CLI_SCRIPT = /(cli\.[cm]?[jt]s|dissonance(\.[cm]?js)?)$/;

/**
 * Seeds run in parallel child processes of this CLI, one per core (at most 2 by default;
 * `DISSONANCE_DEMO_WORKERS` overrides). Only when this process is the CLI itself, so that it can start
 * copies of itself; otherwise (an embedding program) the seeds run in this process.
 */
export function seedWorkerOptions(): { workers?: number; workerCommand?: readonly string[] } {
  const script = process.argv[1];
  if (script === undefined || !CLI_SCRIPT.test(script)) return {};
  const fromEnv = Number(process.env.DISSONANCE_DEMO_WORKERS);
  const workers = Number.isSafeInteger(fromEnv) && fromEnv >= 1 ? fromEnv : Math.min(2, availableParallelism());
  return { workers, workerCommand: [process.execPath, ...process.execArgv, script] };
}

/** The one-line error a CLI command prints: its name, then the error (a DissonanceError's code once). */
export function commandErrorLine(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // A DissonanceError's message already starts with its code.
  const code = isDissonanceError(error) && !message.startsWith(`${error.code}:`) ? `${error.code}: ` : '';
  return `dissonance ${command}: ${code}${message}\n`;
}
