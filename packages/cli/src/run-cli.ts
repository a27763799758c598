import { runDemoCommand } from './demo/demo-command.js';
import { runEvaluateCommand } from './cli/evaluate-command.js';
import { demoWorkerMain } from './demo/seed-workers.js';
import { runServeCommand } from './cli/serve-command.js';
import { runDemoStageCommand, runDistributedCommand } from './demo/distributed/distributed-command.js';
import { isSecurityCommand, runSecurityCommand } from './cli/security-commands.js';
import { runStoreCommand } from './cli/store-command.js';
import { VERSION } from './version.js';

/** Where the CLI writes; injectable so tests need no child process. */
export interface CliIo {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  /** Whether standard error is a terminal (progress bars); default false. */
  readonly isTty?: boolean;
}

/** Exit code for a command line that could not be understood. */
export const EXIT_USAGE = 2;

/** The text of `dissonance --help`. */
export const HELP = `Usage: dissonance [options]

A self-correcting model loop: generate → detect → reconcile → retrain.

Commands:
  demo           run the loop on a real data set against baselines (dissonance demo --help)
  evaluate       run the demo's protocol on your CSV (dissonance evaluate --help)
  keys, sign, verify  signing keys, signed model manifests and their check (dissonance sign --help)
  serve          serve the HTTP API (predict, feedback, admin) over a trained model (dissonance serve --help)
  demo-distributed  the demo's loop in three worker processes over RabbitMQ, NATS or Redis
  store unlock   recover a file store whose store.lock names a process that is gone (dissonance store --help)

Options:
  -v, --version  print the version of @dissonance/cli and exit
  -h, --help     print this help and exit

Commands to train and manage models land in later releases.
`;

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit code.
 * No argument prints the help; an unknown option or command prints a message to stderr and
 * returns {@link EXIT_USAGE}.
 */
export function runCli(argv: readonly string[], io: CliIo): number {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    if (rest.length > 0) return usageError(io, `unexpected argument "${rest[0]}"`);
    io.out(HELP);
    return 0;
  }
  if (first === '-v' || first === '--version' || first === 'version') {
    if (rest.length > 0) return usageError(io, `unexpected argument "${rest[0]}"`);
    io.out(`${VERSION}\n`);
    return 0;
  }
  if (first === 'demo') return usageError(io, 'the demo command runs through runCliAsync');
  const kind = first.startsWith('-') ? 'option' : 'command';
  return usageError(io, `unknown ${kind} "${first}"`);
}

/**
 * Runs the CLI like {@link runCli}, and also the commands that take time (`demo`); resolves to the exit code.
 */
export async function runCliAsync(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'demo') return runDemoCommand(argv.slice(1), io);
  if (argv[0] === 'evaluate') return runEvaluateCommand(argv.slice(1), io);
  if (isSecurityCommand(argv[0])) return runSecurityCommand(argv[0], argv.slice(1), io);
  if (argv[0] === 'serve') return runServeCommand(argv.slice(1), io);
  if (argv[0] === 'store') return runStoreCommand(argv.slice(1), io);
  // Internal: a child process of `demo` running some seeds (see demo/seed-workers.ts).
  if (argv[0] === 'demo-worker') return demoWorkerMain(argv.slice(1), io);
  if (argv[0] === 'demo-distributed') return runDistributedCommand(argv.slice(1), io);
  // Internal: one stage process of `demo-distributed`.
  if (argv[0] === 'demo-stage') return runDemoStageCommand(argv.slice(1), io);
  return runCli(argv, io);
}

function usageError(io: CliIo, message: string): number {
  io.err(`dissonance: ${message}\nRun "dissonance --help" for usage.\n`);
  return EXIT_USAGE;
}
