import type { Engine, ModelVersion } from '@dissonance/core';

/** The engine's parts the HTTP surface reads (all public on `Engine`; `on`/`off` to report its `error` events). */
export type EngineView = Pick<
  Engine,
  | 'modelName'
  | 'registry'
  | 'store'
  | 'championVersion'
  | 'policy'
  | 'process'
  | 'retrainNow'
  | 'updatePolicy'
  | 'rollback'
  | 'promote'
  | 'feedback'
  | 'settled'
  | 'refreshChampion'
  | 'health'
  | 'ready'
> &
  Partial<Pick<Engine, 'on' | 'off'>>;

/** The serving champion's manifest, cached per version; follows `engine.championVersion`. */
export class ChampionModels {
  readonly #engine: EngineView;
  #manifest: ModelVersion | undefined;

  constructor(engine: EngineView) {
    this.#engine = engine;
  }

  /** The champion's manifest (cached per version). */
  async manifest(): Promise<ModelVersion> {
    const version = this.#engine.championVersion;
    if (this.#manifest?.version !== version)
      this.#manifest = await this.#engine.registry.get(this.#engine.modelName, version);
    return this.#manifest;
  }
}
