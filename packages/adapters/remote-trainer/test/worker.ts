import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const python = `${root}.venv/bin/python`;

/** True when the project's Python venv is there (scripts/python-env.sh). */
export const hasPython = existsSync(python);

/** Runs the project's Python with `python/src` and this package's test handlers on the path. */
export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: [
      `${root}python/src`,
      fileURLToPath(new URL('./python', import.meta.url)),
      process.env['PYTHONPATH'] ?? '',
    ]
      .filter(Boolean)
      .join(':'),
    OMP_NUM_THREADS: '1',
    ...extra,
  };
}

export { python, root };

/** A real `dissonance-trainer --http` worker process. */
export interface Worker {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** SIGKILLs it and resolves once it exited. */
  kill(): Promise<void>;
}

/** Starts `python -m dissonance_trainer --handler remote_handlers:<handler> --http <port> [args…]` and waits until it listens. */
export function startWorker(
  handler: string,
  options: { port?: number; env?: Record<string, string>; args?: readonly string[] } = {},
): Promise<Worker> {
  const child = spawn(
    python,
    [
      '-m',
      'dissonance_trainer',
      '--handler',
      `remote_handlers:${handler}`,
      '--http',
      String(options.port ?? 0),
      ...(options.args ?? []),
    ],
    {
      env: pythonEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start in 60 s: ${output}`));
    }, 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s:]+:(\d+))/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      resolve({
        url: match[1]!,
        port: Number(match[2]),
        process: child,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output}`));
    });
  });
}

/** Options of {@link startBrokerWorker}: the transports' names and the redelivery settings of the test. */
export interface BrokerWorkerOptions {
  readonly prefix: string;
  /** NATS: the consumer's ack wait (a killed worker's job comes back after it). */
  readonly ackWaitMs?: number;
  /** Redis: idle time after which a dead worker's job is claimed. */
  readonly claimIdleMs?: number;
  readonly env?: Record<string, string>;
  /** `--jobs-topic` / `--results-topic` (default the worker's: `train.jobs`, `train.results`). */
  readonly jobsTopic?: string;
  readonly resultsTopic?: string;
}

/** A real `dissonance-trainer --broker` worker process, and what it printed so far. */
export interface BrokerWorker {
  readonly process: ChildProcess;
  output(): string;
  /** Resolves once the worker printed a line matching `pattern` (a handler's progress line). */
  printed(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGKILLs it and resolves once it exited. */
  kill(): Promise<void>;
}

/** Starts `python -m dissonance_trainer --handler remote_handlers:<handler> --broker <url> …` and waits until it consumes. */
export function startBrokerWorker(handler: string, url: string, options: BrokerWorkerOptions): Promise<BrokerWorker> {
  const args = ['-m', 'dissonance_trainer', '--handler', `remote_handlers:${handler}`, '--broker', url];
  args.push('--prefix', options.prefix);
  if (options.jobsTopic !== undefined) args.push('--jobs-topic', options.jobsTopic);
  if (options.resultsTopic !== undefined) args.push('--results-topic', options.resultsTopic);
  args.push('--ack-wait-ms', String(options.ackWaitMs ?? 2000), '--claim-idle-ms', String(options.claimIdleMs ?? 2000));
  const child = spawn(python, args, { env: pythonEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const worker: BrokerWorker = {
    process: child,
    output: () => output,
    printed: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`worker did not print ${String(pattern)} in ${timeoutMs} ms: ${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const failed = (): void => reject(new Error(`broker worker exited: ${output}`));
    child.once('exit', failed);
    worker.printed(/consuming /).then(
      () => {
        child.off('exit', failed);
        resolve(worker);
      },
      (error: unknown) => {
        child.kill('SIGKILL');
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
