import { DissonanceError } from '@dissonance/core';
import type { OnnxWebModel } from '../runtime/onnx-web-model.js';
import type { OnnxWebRuntime } from '../runtime/onnx-web-runtime.js';
import type { ChampionInfo } from './champion-info.js';
import { fetchChampionInfo, loadChampion, type ModelPullOptions } from './model-pull.js';

/** Called after a new champion was loaded and swapped in. */
export type SwapListener = (model: OnnxWebModel, champion: ChampionInfo, previous: OnnxWebModel | undefined) => void;

/**
 * Follows the server's champion of one model and hot-swaps it: {@link refresh} reads the champion and, when its
 * version or digest changed, pulls it (digest, trust policy and check), makes it {@link current} and disposes the
 * previous model once its runs in flight are done. A failed pull leaves the current model serving.
 */
export class ChampionFollower {
  readonly #runtime: OnnxWebRuntime;
  readonly #options: ModelPullOptions;
  readonly #listeners: SwapListener[] = [];
  #current: { model: OnnxWebModel; champion: ChampionInfo } | undefined;
  #refreshing: Promise<boolean> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(runtime: OnnxWebRuntime, options: ModelPullOptions) {
    this.#runtime = runtime;
    this.#options = options;
  }

  /** The model serving now (undefined before the first successful {@link refresh}). */
  get current(): OnnxWebModel | undefined {
    return this.#current?.model;
  }

  /** What the server said about the current model. */
  get champion(): ChampionInfo | undefined {
    return this.#current?.champion;
  }

  /** Calls `listener` after every swap. */
  onSwap(listener: SwapListener): void {
    this.#listeners.push(listener);
  }

  /** Pulls the champion when it changed; resolves true when a new model was swapped in. Concurrent calls share one. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Refreshes every `intervalMs` (errors are passed to `onError` and the current model keeps serving). */
  start(intervalMs: number, onError?: (error: unknown) => void): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0)
      throw new DissonanceError('E_CONFIG', `intervalMs must be > 0, got ${intervalMs}`);
    this.stop();
    this.#timer = setInterval(() => void this.refresh().catch((error: unknown) => onError?.(error)), intervalMs);
  }

  /** Stops periodic refreshes. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops and disposes the current model. */
  async dispose(): Promise<void> {
    this.stop();
    await this.#refreshing?.catch(() => undefined);
    const current = this.#current;
    this.#current = undefined;
    await current?.model.dispose();
  }

  async #refresh(): Promise<boolean> {
    const champion = await fetchChampionInfo(this.#options);
    const now = this.#current?.champion;
    if (now !== undefined && now.version === champion.version && now.sha256 === champion.sha256) return false;
    const { model } = await loadChampion(this.#runtime, champion, this.#options);
    const previous = this.#current?.model;
    this.#current = { model, champion };
    for (const listener of this.#listeners) listener(model, champion, previous);
    // dispose() waits for runs already queued on the old session.
    if (previous !== undefined) void previous.dispose().catch(() => undefined);
    return true;
  }
}
