/**
 * A few `Float32Array`s kept for reuse: the engine's copy of each batch's features comes from here and goes back
 * once the batch is reconciled (nothing keeps a view of it then: label requests and model calls get views only
 * for their duration, examples and deferred items copy their rows). Allocating, zero-filling and later
 * collecting a fresh copy per batch cost several times the copy itself.
 */
export class Float32Pool {
  readonly #free: Float32Array[] = [];
  readonly #max: number;

  /** @param max most arrays kept. */
  constructor(max = 4) {
    this.#max = max;
  }

  /** An array of exactly `length` values, reused when one is free (its contents are stale: overwrite them). */
  take(length: number): Float32Array {
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      const array = free[i]!;
      if (array.length !== length) continue;
      free[i] = free[free.length - 1]!;
      free.pop();
      return array;
    }
    return new Float32Array(length);
  }

  /** Gives `array` back; the oldest kept one is dropped when the pool is full. */
  give(array: Float32Array): void {
    if (this.#free.length >= this.#max) this.#free.shift();
    this.#free.push(array);
  }
}
