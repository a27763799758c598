/**
 * A mutex per key, within one process: `run(key, work)` starts `work` only when every earlier `work` for the
 * same key has settled. Adapters key it by what they guard (an absolute path, a server and model name), so two
 * objects on the same resource in one process take turns instead of racing. It does not reach other processes.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` once the key is free; the key is held until `work` settles. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => turn);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
