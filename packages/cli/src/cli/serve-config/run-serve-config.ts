import type { ServeIo } from '../serve-command.js';
import { problemsOf } from './config-problems.js';
import type { Env } from './env-substitution.js';
import { loadServeConfig } from './load-serve-config.js';
import { startServeConfig, type ConfigServe } from './start-serve-config.js';
import { untilSignal } from '../until-signal.js';

/** The text of `dissonance serve --config --help`'s section of `dissonance serve --help`. */
export const SERVE_CONFIG_HELP = `  --config FILE          serve your own model as FILE (JSON) describes it: model, registry, critics,
                         detector, policy, labels, trainer, auth, security, telemetry; \${VAR} and
                         \${VAR:-default} in strings read the environment (docs/serve-config.md). Given alone.
                         A bad config exits 2 with one "path: problem" line per problem.
`;

/** True when `argv` asks for a config-file serve (`--config FILE` or `--config=FILE`). */
export function wantsConfig(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--config' || arg.startsWith('--config='));
}

/**
 * Runs `dissonance serve --config FILE` until SIGINT or SIGTERM. Resolves to the exit code: 0 after a clean
 * stop; 2 for a bad command line or a bad config (every problem printed as `path: message`, nothing started);
 * 1 when starting failed for another reason (a model that does not load, a port in use, a registry down).
 */
export async function runServeConfigCommand(
  argv: readonly string[],
  io: ServeIo,
  env: Env = process.env,
): Promise<number> {
  const file = configFileOf(argv);
  if (file === undefined) {
    io.err(
      'dissonance serve: --config FILE is given alone (every other setting is in the file)\nRun "dissonance serve --help" for usage.\n',
    );
    return 2;
  }
  let started: ConfigServe;
  try {
    started = await startServeConfig(await loadServeConfig(file, env), io, env);
  } catch (error) {
    const problems = problemsOf(error);
    if (problems !== undefined) {
      io.err(
        `dissonance serve: config ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `${p}\n`).join('')}`,
      );
      return 2;
    }
    io.err(`dissonance serve: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  await untilSignal();
  io.err('dissonance serve: stopping\n');
  await started.stop();
  return 0;
}

function configFileOf(argv: readonly string[]): string | undefined {
  if (argv.length === 1 && argv[0]!.startsWith('--config=')) return nonEmpty(argv[0]!.slice('--config='.length));
  if (argv.length === 2 && argv[0] === '--config') return nonEmpty(argv[1]!);
  return undefined;
}

function nonEmpty(value: string): string | undefined {
  return value === '' || value.startsWith('--') ? undefined : value;
}
