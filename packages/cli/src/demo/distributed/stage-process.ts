import { spawn, type ChildProcess } from 'node:child_process';
import { DissonanceError } from '@dissonance/core';
import type { Stage } from '@dissonance/node';
import type { StageJob } from './stage-job.js';
import { READY_LINE } from './stage-main.js';

/** A stage worker running as a child process of the CLI, restarted when it dies (a supervisor's job). */
export class StageProcess {
  readonly stage: Stage;
  readonly #command: readonly string[];
  readonly #job: StageJob;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restarts = 0;
  #log = '';

  constructor(stage: Stage, command: readonly string[], job: StageJob, env: NodeJS.ProcessEnv = process.env) {
    this.stage = stage;
    this.#command = command;
    this.#job = job;
    this.#env = env;
  }

  /** Times the process was restarted after dying. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Pid of the current child, if one runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the child and resolves once it printed that it is subscribed. */
  async start(timeoutMs = 60_000): Promise<void> {
    const [exe, ...prefix] = this.#command;
    if (exe === undefined) throw new DissonanceError('E_CONFIG', 'empty stage command');
    const child = spawn(exe, [...prefix, 'demo-stage', this.stage, JSON.stringify(this.#job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.#env,
    });
    this.#child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(this.#failure(`did not get ready within ${timeoutMs} ms`)), timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(this.#failure(`exited (${signal ?? code}) before it was ready`));
      });
    });
    child.once('exit', () => {
      if (this.#stopping || this.#child !== child) return;
      // Died while running (killed, crashed): start a new one; the broker redelivers what it held.
      this.#restarts++;
      this.start().catch((error: unknown) => {
        process.stderr.write(`stage ${this.stage}: restart failed: ${String(error)}\n`);
      });
    });
  }

  /** Kills the current child with SIGKILL (fault tests); the supervisor restarts it. */
  kill(): void {
    this.#child?.kill('SIGKILL');
  }

  /** Stops the child (SIGTERM, then SIGKILL after `graceMs`) without restarting it. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  #failure(what: string): DissonanceError {
    return new DissonanceError('E_WORKER', `stage ${this.stage} ${what}\n${this.#log}`);
  }
}
