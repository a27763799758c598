import { fork, type ChildProcess } from 'node:child_process';

/** What every bench worker may send: its own messages, `error` with a text, `stopped` before it exits. */
export type WorkerMessage = { readonly type: string } | { readonly type: 'error'; readonly message: string };

/**
 * A bench child process (`node --import tsx <script> '<config JSON>'`) spoken to over IPC: `next` waits for a
 * message of a type, `request` sends one and waits for the answer, `stop` asks it to close and exit.
 */
export class WorkerProcess<To extends { readonly type: string }, From extends WorkerMessage> {
  readonly #child: ChildProcess;
  readonly #name: string;
  #waiter: { type: From['type']; resolve: (message: From) => void; reject: (error: Error) => void } | undefined;
  #exited = false;

  private constructor(child: ChildProcess, name: string) {
    this.#child = child;
    this.#name = name;
    child.on('message', (message: From) => {
      const waiter = this.#waiter;
      if (message.type === 'error') {
        this.#waiter = undefined;
        const text = `bench: ${name}: ${(message as { message?: string }).message ?? 'failed'}`;
        if (waiter === undefined) console.error(text);
        else waiter.reject(new Error(text));
      } else if (waiter?.type === message.type) {
        this.#waiter = undefined;
        waiter.resolve(message);
      }
    });
    child.on('exit', (code) => {
      this.#exited = true;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (waiter?.type === 'stopped') waiter.resolve({ type: 'stopped' } as From);
      else waiter?.reject(new Error(`bench: ${name} process exited (code ${String(code)})`));
    });
  }

  /** Forks `script` with `config` and waits for its `ready`. */
  static async start<To extends { readonly type: string }, From extends WorkerMessage>(
    script: string,
    name: string,
    config: unknown,
  ): Promise<WorkerProcess<To, From>> {
    const child = fork(script, [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new WorkerProcess<To, From>(child, name);
    await worker.next('ready', 60_000);
    return worker;
  }

  /** Sends `message` and waits (up to `timeoutMs`) for the answer `type`. */
  request(message: To, type: From['type'], timeoutMs = 10_000): Promise<From> {
    const answer = this.next(type, timeoutMs);
    this.#child.send(message);
    return answer;
  }

  /** Resolves with the next message of `type`; rejects on an `error` message, an exit or after `timeoutMs`. */
  next(type: From['type'], timeoutMs: number): Promise<From> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`bench: ${this.#name} sent no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /** Asks the process to close what it opened and waits for it to exit (kills it after 15 s). */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = this.next('stopped', 15_000);
    this.#child.send({ type: 'stop' });
    try {
      await exited;
    } catch {
      this.#child.kill('SIGKILL');
    }
  }
}

/** What a worker opened: how it answers the parent's messages, and how it closes. */
export interface Served<To> {
  handle(message: To): void;
  close(): Promise<void>;
}

/**
 * The child side of a {@link WorkerProcess}: `start` opens what the worker needs (with `send` to talk to the
 * parent), then the worker says `ready`, hands every message but `stop` to `handle`, and on `stop` — or when
 * the parent goes away without one — closes, says `stopped` and disconnects. A failed start is reported as
 * `error` and ends the process.
 */
export function serveParent<To extends { readonly type: string }, From extends WorkerMessage>(
  start: (send: (message: From) => void) => Promise<Served<To>>,
): void {
  const send = (message: From | WorkerMessage): void => {
    if (process.connected) process.send?.(message);
  };
  const run = async (): Promise<void> => {
    const served = await start(send);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= served
        .close()
        .catch(() => undefined)
        .finally(() => {
          send({ type: 'stopped' });
          if (process.connected) process.disconnect();
        }));
    // The parent went away without a stop: close the connections so that this process ends too.
    process.on('disconnect', () => void stop());
    process.on('message', (message: To) => {
      if (message.type === 'stop') void stop();
      else served.handle(message);
    });
    send({ type: 'ready' });
  };
  run().catch((error: unknown) => {
    send({ type: 'error', message: errorMessage(error) });
    process.exitCode = 1;
    if (process.connected) process.disconnect();
  });
}

/** The text of a thrown value, for an `error` message. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
