import {
  generateSigningKeyPair,
  signArtifact,
  signatureTags,
  type ModelArtifact,
  type ModelRegistry,
  type SigningKeyPair,
} from '@dissonance/core';
import { SIGNATURE_KEY_ID_TAG } from '@dissonance/core/adapter-kit';
import { CLASSES, WIDTH } from './fixtures.js';

/** A `json` artifact of the fixtures' sum model (loadable by `sumRuntime`). */
export function sumArtifact(sharpness: number): ModelArtifact {
  return { format: 'json', bytes: new TextEncoder().encode(JSON.stringify({ kind: 'sum', sharpness })) };
}

/** Versions registered behind the server's back, one per way a forger can try. */
export interface Forgeries {
  /** Signed by the trusted key: the control, always accepted. */
  readonly signed: string;
  readonly unsigned: string;
  /** Signed by a key nobody trusts. */
  readonly stranger: string;
  /** Signed by a stranger, but the key-id tag names the trusted key. */
  readonly forgedKeyId: string;
  /** Other bytes carrying the trusted signature of the control's bytes (manifest digest rewritten). */
  readonly tampered: string;
}

/** The refused ones of {@link Forgeries}, by name. */
export const FORGED = ['unsigned', 'stranger', 'forgedKeyId', 'tampered'] as const;

/** What the forged versions are made of: distinct artifacts by index, and their shape. */
export interface ForgeryShape {
  readonly artifact: (index: number) => ModelArtifact;
  readonly inputWidth: number;
  readonly classes: number;
}

/** The fixtures' sum model: json artifacts of {@link WIDTH} × {@link CLASSES}. */
export const SUM_SHAPE: ForgeryShape = { artifact: (i) => sumArtifact(3 + i), inputWidth: WIDTH, classes: CLASSES };

/** Registers {@link Forgeries} of `name` in `registry` (by default json sum-model artifacts). */
export async function registerForgeries(
  registry: ModelRegistry,
  name: string,
  trusted: SigningKeyPair,
  shape: ForgeryShape = SUM_SHAPE,
): Promise<Forgeries> {
  const stranger = await generateSigningKeyPair();
  const register = async (artifact: ModelArtifact, tags: Readonly<Record<string, string>>): Promise<string> =>
    (await registry.register({ name, artifact, inputWidth: shape.inputWidth, classes: shape.classes, tags })).version;
  const good = shape.artifact(0);
  const goodTags = signatureTags((await signArtifact(good, trusted.privateKey)).signature);
  const signed = await register(good, goodTags);
  const unsigned = await register(shape.artifact(1), {});
  const strangerArtifact = shape.artifact(2);
  const strangerTags = signatureTags((await signArtifact(strangerArtifact, stranger.privateKey)).signature);
  const strangerVersion = await register(strangerArtifact, strangerTags);
  const forged = shape.artifact(3);
  const forgedTags = {
    ...signatureTags((await signArtifact(forged, stranger.privateKey)).signature),
    [SIGNATURE_KEY_ID_TAG]: trusted.keyId,
  };
  const forgedKeyId = await register(forged, forgedTags);
  const tampered = await register(shape.artifact(4), goodTags);
  return { signed, unsigned, stranger: strangerVersion, forgedKeyId, tampered };
}
