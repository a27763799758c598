import type { JsonValue } from '@dissonance/core';

/** The champion as `GET /v1/models/{name}` describes it. */
export interface ChampionInfo {
  readonly name: string;
  readonly version: string;
  /** Lower-case hex sha256 of the ONNX artifact. */
  readonly sha256: string;
  /** The version's manifest as the server sends it (metrics, lineage, signature when signed…). */
  readonly manifest: JsonValue;
  /** Absolute URL of the artifact (`…/versions/{version}/model.onnx`). */
  readonly artifactUrl: string;
}

/**
 * An extra check of a champion's bytes before they are loaded (after the digest and the trust policy): reject
 * to refuse the model; the current model then keeps serving.
 */
export type ArtifactCheck = (bytes: Uint8Array, champion: ChampionInfo) => Promise<void>;
