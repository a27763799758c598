import type { LoadedModel } from '../ports/model.js';

/**
 * Counts the batches running on each model so a replaced model is disposed only once the last batch that
 * started on it has finished: hot swaps never fail an in-flight call.
 */
export class ModelLeases {
  readonly #inUse = new Map<LoadedModel, number>();
  readonly #retired = new Set<LoadedModel>();

  /** A batch starts on `model`. */
  acquire(model: LoadedModel): void {
    this.#inUse.set(model, (this.#inUse.get(model) ?? 0) + 1);
  }

  /** A batch on `model` finished; disposes it if it was retired and this was its last batch. */
  async release(model: LoadedModel): Promise<void> {
    await this.releaseNow(model);
  }

  /**
   * {@link ModelLeases.release} for a hot path: returns the disposal's promise when it disposes `model`, else
   * undefined (the common case then costs no promise and no tick).
   */
  releaseNow(model: LoadedModel): Promise<void> | undefined {
    const left = (this.#inUse.get(model) ?? 1) - 1;
    if (left > 0) {
      this.#inUse.set(model, left);
      return undefined;
    }
    this.#inUse.delete(model);
    if (!this.#retired.delete(model)) return undefined;
    return Promise.resolve(model.dispose?.());
  }

  /** `model` no longer serves new batches: dispose now if idle, else after its last batch. */
  async retire(model: LoadedModel): Promise<void> {
    if (this.#inUse.has(model)) {
      this.#retired.add(model);
      return;
    }
    await model.dispose?.();
  }
}
