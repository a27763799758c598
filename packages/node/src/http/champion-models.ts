import type { Engine, LoadedModel, ModelRuntime, ModelVersion } from '@dissonance/core';
import { ModelLeases } from '@dissonance/core/adapter-kit';

/** The engine's parts the HTTP surface reads (all public on `Engine`; `on`/`off` to report its `error` events). */
export type EngineView = Pick<
  Engine,
  'modelName' | 'registry' | 'store' | 'championVersion' | 'policy' | 'process' | 'retrainNow' | 'updatePolicy' | 'rollback' | 'refreshChampion' | 'health' | 'ready'
> &
  Partial<Pick<Engine, 'on' | 'off'>>;

/**
 * The serving champion's manifest and, when a runtime is given, a copy of the model loaded with it (for
 * checks outside the loop such as the poisoning guard). Follows `engine.championVersion`; a replaced copy is
 * disposed once no call runs on it.
 */
export class ChampionModels {
  readonly #engine: EngineView;
  readonly #runtime: ModelRuntime | undefined;
  #manifest: ModelVersion | undefined;
  readonly #leases = new ModelLeases();
  #loaded: LoadedModel | undefined;
  #loading: Promise<void> | undefined;

  constructor(engine: EngineView, runtime: ModelRuntime | undefined) {
    this.#engine = engine;
    this.#runtime = runtime;
  }

  /** The champion's manifest (cached per version). */
  async manifest(): Promise<ModelVersion> {
    const version = this.#engine.championVersion;
    if (this.#manifest?.version !== version) this.#manifest = await this.#engine.registry.get(this.#engine.modelName, version);
    return this.#manifest;
  }

  /** Runs the champion copy on `rows` rows; undefined without a runtime able to load the champion's format. */
  async run(x: Float32Array, rows: number): Promise<Float32Array | undefined> {
    const version = this.#engine.championVersion;
    while (this.#loaded?.version !== version) {
      this.#loading ??= this.#load(version).finally(() => (this.#loading = undefined));
      await this.#loading;
      if (this.#loaded === undefined) return undefined;
      if (this.#engine.championVersion !== version) return this.run(x, rows);
    }
    const held = this.#loaded;
    this.#leases.acquire(held);
    try {
      return await held.run(x, rows);
    } finally {
      await this.#leases.release(held);
    }
  }

  async #load(version: string): Promise<void> {
    const manifest = await this.manifest();
    const runtime = this.#runtime;
    if (runtime === undefined || !runtime.supports(manifest.format)) {
      this.#retire();
      return;
    }
    const { artifact } = await this.#engine.registry.fetch(this.#engine.modelName, version);
    const model = await runtime.load(artifact, manifest);
    this.#retire();
    this.#loaded = model;
  }

  #retire(): void {
    const old = this.#loaded;
    this.#loaded = undefined;
    if (old !== undefined) void this.#leases.retire(old);
  }

  /** Disposes the loaded copy. */
  async close(): Promise<void> {
    await this.#loading?.catch(() => undefined);
    this.#retire();
  }
}
