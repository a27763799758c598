import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DATASETS, loadDataset } from '../demo/load-dataset.js';
import { serve, type RunningServer } from '@dissonance/server';
import type { JwtAuthOptions } from '@dissonance/server';
import { isProductionMode } from '@dissonance/node';
import { createDevToken, writeTokenFile } from './dev-token.js';
import { createServeEngine, type ServeEngine } from './serve-engine.js';
import { serveSecurity } from './serve-security.js';
import { runServeConfigCommand, SERVE_CONFIG_HELP, wantsConfig } from './serve-config/run-serve-config.js';
import { untilSignal } from './until-signal.js';

/** Where the serve command writes. */
export interface ServeIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The text of `dissonance serve --help`. */
export const SERVE_HELP = `Usage: dissonance serve [options]
       dissonance serve --config FILE

With --config, serves the model a config file describes. Without it: trains a proposer and a critic on a
data set (as the demo does), registers the proposer as champion in a
file registry and serves the HTTP API (docs/http-api.md) until interrupted.

Options:
${SERVE_CONFIG_HELP}  --port N               port (default 8080; 0: a free port the OS picks)
  --host H               interface (default 127.0.0.1)
  --dataset NAME         ${DEMO_DATASETS.join(' | ')} (default digits)
  --data DIR             directory of <dataset>.csv (default: the data sets shipped in @dissonance/cli)
  --dir DIR              state directory: registry and store (default: a new temporary directory)
  --retrain-every N      retrain after N accepted feedback items (default 32; 0: never)
  --jwks-url URL         trust tokens signed by keys of this JWKS (needs --issuer and --audience)
  --issuer I             accepted token issuer
  --audience A           accepted token audience
  --public-key FILE      trust tokens signed by this PEM public key (needs --issuer and --audience)
  --dev-token-file PATH  development only (refused in production mode): an ephemeral key pair is
                         trusted and a 1 h token with scopes "predict feedback" is written to PATH
                         (mode 0600; a symbolic link there is refused)
  --trusted-key FILE     trust model artifacts signed by this public key (JWK or PEM; repeatable; adds to
                         DISSONANCE_TRUSTED_KEYS): versions the policy refuses are never served or promoted
  --signing-key FILE     sign the models this server registers with this private key (or
                         DISSONANCE_SIGNING_KEY); its public key must be trusted
  --trust SUB[,SUB]      principals (token sub) whose feedback the poisoning guard trusts

Production mode (DISSONANCE_MODE=production, or NODE_ENV=production with DISSONANCE_MODE unset) refuses the
development token and refuses to start without a trust policy, a signing key and encryption keys
(DISSONANCE_TRUSTED_KEYS or --trusted-key, DISSONANCE_SIGNING_KEY or --signing-key,
DISSONANCE_ENCRYPTION_KEYS; see docs/security.md).
  --cors ORIGIN          allow browser calls from ORIGIN (repeatable)
  -h, --help             print this help
`;

/** Parsed `serve` options. */
export interface ServeArgs {
  readonly port: number;
  readonly host: string;
  readonly dataset: string;
  readonly dataDir?: string;
  readonly dir?: string;
  readonly retrainEvery: number;
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
  readonly publicKey?: string;
  readonly devTokenFile?: string;
  /** Public key files of the artifact trust policy (`--trusted-key`). */
  readonly trustedKeys: readonly string[];
  /** Private key file that signs registered models (`--signing-key`). */
  readonly signingKey?: string;
  readonly trusted: readonly string[];
  readonly cors: readonly string[];
  readonly help: boolean;
}

/** Parses `serve`'s arguments; returns an error message for a bad command line. */
export function parseServeArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ServeArgs | string {
  const a: { -readonly [K in keyof ServeArgs]: ServeArgs[K] } = {
    port: 8080,
    host: '127.0.0.1',
    dataset: 'digits',
    retrainEvery: 32,
    trustedKeys: [],
    trusted: [],
    cors: [],
    help: false,
  };
  const cors: string[] = [];
  const trusted: string[] = [];
  const trustedKeys: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      a.help = true;
      continue;
    }
    const v = argv[i + 1];
    i++;
    if (v === undefined || v.startsWith('--')) {
      if (!arg.startsWith('--')) return `unexpected argument "${arg}"`;
      return KNOWN.includes(arg) ? `${arg} needs a value` : `unknown serve option "${arg}"`;
    }
    if (arg === '--port' || arg === '--retrain-every') {
      const n = Number(v);
      if (arg === '--port') {
        if (!(Number.isSafeInteger(n) && n >= 0 && n <= 65535))
          return `--port must be an integer in [0, 65535], got ${v}`;
        a.port = n;
      } else {
        if (!(Number.isSafeInteger(n) && n >= 0)) return `--retrain-every must be an integer ≥ 0, got ${v}`;
        a.retrainEvery = n;
      }
    } else if (arg === '--dataset') {
      if (!DEMO_DATASETS.includes(v)) return `unknown dataset "${v}" (${DEMO_DATASETS.join(', ')})`;
      a.dataset = v;
    } else if (arg === '--host') a.host = v;
    else if (arg === '--data') a.dataDir = v;
    else if (arg === '--dir') a.dir = v;
    else if (arg === '--jwks-url') {
      try {
        new URL(v);
      } catch {
        return `--jwks-url is not a URL: ${v}`;
      }
      a.jwksUrl = v;
    } else if (arg === '--issuer') a.issuer = v;
    else if (arg === '--audience') a.audience = v;
    else if (arg === '--public-key') a.publicKey = v;
    else if (arg === '--dev-token-file') a.devTokenFile = v;
    else if (arg === '--trusted-key') trustedKeys.push(v);
    else if (arg === '--signing-key') a.signingKey = v;
    else if (arg === '--trust') trusted.push(...v.split(',').filter((s) => s !== ''));
    else if (arg === '--cors') cors.push(v);
    else return `unknown serve option "${arg}"`;
  }
  a.cors = cors;
  a.trusted = trusted;
  a.trustedKeys = trustedKeys;
  if (a.help) return a;
  const keySources = [a.jwksUrl, a.publicKey, a.devTokenFile].filter((s) => s !== undefined).length;
  if (keySources === 0) return 'no token verification configured: give --jwks-url, --public-key or --dev-token-file';
  if (keySources > 1) return 'give only one of --jwks-url, --public-key and --dev-token-file';
  if (a.devTokenFile === undefined && (a.issuer === undefined || a.audience === undefined))
    return '--issuer and --audience are required with --jwks-url or --public-key';
  if (a.devTokenFile !== undefined && isProductionMode(env)) {
    return '--dev-token-file is for development only and refused in production mode (DISSONANCE_MODE=production or NODE_ENV=production)';
  }
  return a;
}

const KNOWN = [
  '--port',
  '--host',
  '--dataset',
  '--data',
  '--dir',
  '--retrain-every',
  '--jwks-url',
  '--issuer',
  '--audience',
  '--public-key',
  '--dev-token-file',
  '--trusted-key',
  '--signing-key',
  '--trust',
  '--cors',
];

/** A started `serve`: the server, the engine and how to stop both. */
export interface StartedServe {
  readonly server: RunningServer;
  readonly serving: ServeEngine;
  stop(): Promise<void>;
}

/**
 * Starts what `dissonance serve` runs (without waiting for a signal). The security settings come from `env`
 * and the command line ({@link serveSecurity}): in production mode, a missing trust policy, signing key or
 * encryption keys, or a development token, is `E_CONFIG` before anything starts.
 */
export async function startServe(
  args: ServeArgs,
  io: ServeIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<StartedServe> {
  const security = await serveSecurity(args, env);
  const data = loadDataset(args.dataset, args.dataDir);
  const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'dissonance-serve-'));
  let auth: JwtAuthOptions;
  let dev: Awaited<ReturnType<typeof createDevToken>> | undefined;
  if (args.devTokenFile !== undefined) {
    dev = await createDevToken({ scope: 'predict feedback' });
    auth = { issuer: dev.issuer, audience: dev.audience, jwks: dev.jwks };
  } else if (args.publicKey !== undefined) {
    auth = { issuer: args.issuer!, audience: args.audience!, key: createPublicKey(readFileSync(args.publicKey)) };
  } else auth = { issuer: args.issuer!, audience: args.audience!, jwksUrl: args.jwksUrl! };
  io.err(`dissonance serve: training the ${args.dataset} proposer and critic (state in ${dir})\n`);
  const serving = await createServeEngine({
    dataset: args.dataset,
    data,
    dir,
    trusted: args.trusted,
    ...(security.trust === undefined ? {} : { trust: security.trust }),
    ...(security.signing === undefined ? {} : { signing: security.signing }),
    ...(security.encryption === undefined ? {} : { encryption: security.encryption }),
  });
  let server: RunningServer;
  try {
    server = await serve({
      engine: serving.engine,
      auth,
      published: [serving.models.critic.name],
      ...(security.trust === undefined ? {} : { trust: security.trust }),
      ...(serving.guard === undefined ? {} : { guard: serving.guard }),
      retrainEvery: args.retrainEvery,
      port: args.port,
      host: args.host,
      ...(args.cors.length === 0 ? {} : { cors: { origins: args.cors } }),
      onError: (error) => io.err(`dissonance serve: ${error instanceof Error ? error.message : String(error)}\n`),
    });
  } catch (error) {
    await serving.close();
    throw error;
  }
  if (security.trust === undefined)
    io.err('dissonance serve: no trust policy: model artifacts are served and promoted unsigned (development only)\n');
  serving.engine.on('retrained', (e) =>
    io.err(`dissonance serve: candidate ${e.candidate.version} ${e.decision} (${e.reason})\n`),
  );
  if (dev !== undefined) {
    writeTokenFile(args.devTokenFile!, dev.token);
    io.err(`dissonance serve: development token (scopes "predict feedback", 1 h) written to ${args.devTokenFile}\n`);
  }
  io.out(
    `dissonance serve: listening on ${server.url} (model ${serving.engine.modelName}, champion version ${serving.engine.championVersion})\n`,
  );
  return {
    server,
    serving,
    async stop() {
      await server.close();
      await serving.close();
    },
  };
}

/**
 * Runs `dissonance serve` until SIGINT or SIGTERM. Resolves to the exit code: 0 after a clean stop, 2 for a
 * bad command line, 1 when starting failed.
 */
export async function runServeCommand(argv: readonly string[], io: ServeIo): Promise<number> {
  if (wantsConfig(argv) && !argv.some((arg) => arg === '-h' || arg === '--help'))
    return runServeConfigCommand(argv, io, process.env);
  const args = parseServeArgs(argv, process.env);
  if (typeof args === 'string') {
    io.err(`dissonance serve: ${args}\nRun "dissonance serve --help" for usage.\n`);
    return 2;
  }
  if (args.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  let started: StartedServe;
  try {
    started = await startServe(args, io, process.env);
  } catch (error) {
    io.err(`dissonance serve: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  await untilSignal();
  io.err('dissonance serve: stopping\n');
  await started.stop();
  return 0;
}
