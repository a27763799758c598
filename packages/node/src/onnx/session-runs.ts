/**
 * The runs in flight on one onnxruntime session, so that releasing it waits for them: what `OnnxNodeModel` and
 * `OnnxPairedRun` share. A run calls `enter()` in its first, synchronous step and `exit()` when it settles (no
 * closure or extra promise on the hot path); `close` waits until none is left, then releases, once.
 */
export class SessionRuns {
  #active = 0;
  #idle: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  /** True once {@link close} was called: no new run may start. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** A run starts. */
  enter(): void {
    this.#active++;
  }

  /** A run settled. */
  exit(): void {
    if (--this.#active === 0) this.#idle?.();
  }

  /** Waits for the runs in flight, then calls `release`; later calls return the same promise. */
  close(release: () => Promise<void>): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      await release();
    })();
    return this.#closed;
  }
}
