import type { Logger } from '../logging/logger.js';
import type { LoadedModel, PairedModels } from '../ports/model.js';
import { errorText } from '../util/error-text.js';

interface PairState {
  pair?: PairedModels;
}

/**
 * The engine's champion paired with its one critic ({@link LoadedModel.pairWith}). The first batch a champion
 * serves asks for the pair without waiting for it; batches run the two models separately until the pair is
 * ready, then through it. A refused or failed pair is not asked for again for that champion. Pairs are disposed
 * when their champion retires and when the engine stops.
 */
export class ModelPairs {
  readonly #critic: LoadedModel | undefined;
  readonly #logger: Logger;
  readonly #states = new Map<LoadedModel, PairState>();
  #closed = false;

  /** Pairs only with exactly one critic. */
  constructor(critics: readonly LoadedModel[], logger: Logger) {
    this.#critic = critics.length === 1 ? critics[0] : undefined;
    this.#logger = logger;
  }

  /** The ready pair of `champion` and the critic, else `undefined` (and the first time, asks for one). */
  ready(champion: LoadedModel): PairedModels | undefined {
    const state = this.#states.get(champion);
    if (state !== undefined) return state.pair;
    const critic = this.#critic;
    if (critic === undefined || champion.pairWith === undefined || this.#closed) return undefined;
    const asked: PairState = {};
    this.#states.set(champion, asked);
    const names = { champion: `${champion.name}@${champion.version}`, critic: `${critic.name}@${critic.version}` };
    const pairWith = champion.pairWith.bind(champion);
    // A pairWith that throws instead of rejecting is a refusal like any other.
    new Promise<PairedModels | undefined>((resolve) => resolve(pairWith(critic))).then(
      (pair) => {
        if (pair === undefined) return;
        if (this.#closed || this.#states.get(champion) !== asked) {
          void pair.dispose().catch(() => undefined);
          return;
        }
        asked.pair = pair;
        this.#logger.info(names, 'champion and critic run as one model');
      },
      (error: unknown) => this.#logger.info({ ...names, error: errorText(error) }, 'champion and critic run apart'),
    );
    return undefined;
  }

  /** Whether batches on `champion` run through its pair now. */
  isPaired(champion: LoadedModel): boolean {
    return this.#states.get(champion)?.pair !== undefined;
  }

  /** `pair` failed a batch: the champion runs apart from now on, and the pair is disposed. */
  drop(champion: LoadedModel, pair: PairedModels): void {
    const state = this.#states.get(champion);
    if (state?.pair !== pair) return;
    state.pair = undefined;
    void pair.dispose().catch(() => undefined);
  }

  /** `champion` serves no more batches: its pair is disposed (after the runs in flight; errors are ignored). */
  async retire(champion: LoadedModel): Promise<void> {
    const state = this.#states.get(champion);
    this.#states.delete(champion);
    await state?.pair?.dispose().catch(() => undefined);
  }

  /** Disposes every pair; none is asked for after this. */
  async close(): Promise<void> {
    this.#closed = true;
    const pairs = [...this.#states.values()].map((s) => s.pair);
    this.#states.clear();
    await Promise.all(pairs.map((pair) => pair?.dispose().catch(() => undefined)));
  }
}
