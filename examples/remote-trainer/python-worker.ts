import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DissonanceError } from '@dissonance/core';

/** The repository root (this file is `examples/remote-trainer/python-worker.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `.venv/bin/python` of the repository when present, else `python3` from the PATH. */
export function pythonExecutable(): string {
  const venv = `${REPO_ROOT}.venv/bin/python`;
  return existsSync(venv) ? venv : 'python3';
}

/** A running `python -m dissonance_trainer` worker. */
export interface PythonWorker {
  /** Its base URL when it serves HTTP (`listening on http://HOST:PORT`). */
  readonly url?: string;
  readonly process: ChildProcess;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and resolves once it exited. */
  stop(): Promise<void>;
}

/** Options of {@link startPythonWorker}. */
export interface PythonWorkerOptions {
  /** `module:function` of the handler. */
  readonly handler: string;
  /** The channel's arguments (`--http 0`, later `--broker URL`). */
  readonly channelArgs: readonly string[];
  /** Extra environment (e.g. `DISSONANCE_TRAINER_CHECKPOINTS`). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the worker's ready line, in ms (default 60 000). */
  readonly startTimeoutMs?: number;
}

/**
 * Starts the worker as a child process, with `python/src` (the `dissonance-trainer` package, when it is not
 * installed), `python/examples` (the documented CNN handler) and this folder (`example_handlers.py`) on
 * `PYTHONPATH`, and resolves once it printed its ready line (`dissonance-trainer: listening on …` over HTTP,
 * `dissonance-trainer: consuming …` over a broker).
 * @throws DissonanceError `E_TRAINER` when it exits or stays silent first.
 */
export function startPythonWorker(options: PythonWorkerOptions): Promise<PythonWorker> {
  const path = [
    `${REPO_ROOT}python/src`,
    `${REPO_ROOT}python/examples`,
    fileURLToPath(new URL('./', import.meta.url)),
    process.env['PYTHONPATH'] ?? '',
  ].filter(Boolean);
  const child = spawn(
    pythonExecutable(),
    ['-m', 'dissonance_trainer', '--handler', options.handler, ...options.channelArgs],
    {
      env: { ...process.env, PYTHONPATH: path.join(delimiter), PYTHONUNBUFFERED: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  let output = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      void stop();
      reject(new DissonanceError('E_TRAINER', `the Python worker (${options.handler}) ${why}: ${output.slice(-2000)}`));
    };
    const timer = setTimeout(
      () => fail(`printed no ready line in ${options.startTimeoutMs ?? 60_000} ms`),
      options.startTimeoutMs ?? 60_000,
    );
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      fail(`exited with ${code}`);
    };
    function onData(chunk: Buffer): void {
      // Its output is drained for as long as it runs (a full pipe would block a chatty handler); the tail is kept.
      output = (output + chunk.toString()).slice(-8000);
      if (ready) return;
      const line = /dissonance-trainer: (?:listening on|consuming) (\S+)/.exec(output);
      if (line === null) return;
      ready = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      const url = line[1]!.startsWith('http') ? line[1]! : undefined;
      resolve({ ...(url === undefined ? {} : { url }), process: child, stop });
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}
