import { DissonanceError } from '../errors.js';
import { withVersion } from '../models/function-model.js';
import type { GoldenSet } from '../ports/batch.js';
import type { LoadedModel, ModelRuntime } from '../ports/model.js';
import type { ModelRegistry, ModelVersion } from '../ports/registry.js';
import { goldenAccuracy } from '../rollout/golden-accuracy.js';
import type { ArtifactSigner } from '../security/artifact-signer.js';
import { fetchVerified, type ArtifactVerifier } from '../security/trust-policy.js';
import { sha256Hex } from '../util/sha256.js';
import { CHALLENGER, CHAMPION } from './lifecycle.js';

/** What champion bootstrap and refresh need from the engine. Not part of the public API. */
export interface ChampionDeps {
  readonly modelName: string;
  readonly registry: ModelRegistry;
  /** The engine's first champion as given in code; its width and classes are every champion's. */
  readonly proposer: LoadedModel;
  readonly runtime: ModelRuntime | undefined;
  readonly golden: GoldenSet | undefined;
  readonly signer: ArtifactSigner | undefined;
  readonly verifier: ArtifactVerifier | undefined;
}

/**
 * The champion the engine starts with: the registry's `champion` when there is one (the in-code proposer when
 * it holds the same bytes, else loaded with the runtime after the trust checks), otherwise the proposer,
 * registered (signed when a signer is given) and made champion.
 */
export async function bootstrapChampion(deps: ChampionDeps): Promise<LoadedModel> {
  const { proposer, registry, modelName } = deps;
  let current;
  try {
    current = await registry.resolve(modelName, CHAMPION);
  } catch (error) {
    if (!(error instanceof DissonanceError) || (error.code !== 'E_ALIAS_NOT_FOUND' && error.code !== 'E_NOT_FOUND'))
      throw error;
    if (error.code === 'E_NOT_FOUND') await refuseDanglingChampion(registry, modelName);
  }
  if (current === undefined) {
    const artifact = proposer.artifact ?? {
      format: 'opaque',
      bytes: new TextEncoder().encode(
        JSON.stringify({ kind: 'opaque-model', name: proposer.name, version: proposer.version }),
      ),
    };
    const golden = deps.golden;
    const version = await registry.register({
      name: modelName,
      artifact,
      inputWidth: proposer.inputWidth,
      classes: proposer.classes,
      ...(golden === undefined ? {} : { metrics: { golden_accuracy: await goldenAccuracy(proposer, golden) } }),
      tags: { decision: 'initial', ...(deps.signer === undefined ? {} : await deps.signer.tags(artifact)) },
    });
    await registry.setAlias(modelName, CHAMPION, version.version, { expected: null });
    return withVersion(proposer, version.version);
  }
  if (current.version === proposer.version) return proposer;
  // The same bytes as the registered champion (e.g. a restart with the same in-code model): serve it as that version.
  if (proposer.artifact !== undefined && (await sha256Hex(proposer.artifact.bytes)) === current.sha256) {
    return withVersion(proposer, current.version);
  }
  const runtime = deps.runtime;
  if (runtime === undefined || !runtime.supports(current.format)) {
    throw new DissonanceError(
      'E_CONFIG',
      `registry champion of ${modelName} is version ${current.version} but the given proposer is ` +
        `version ${proposer.version}, and no runtime that loads "${current.format}" is configured`,
    );
  }
  return loadChampion(deps, runtime, current);
}

/**
 * The registry's `champion` when it is no longer `serving`, loaded with the runtime after the shape and trust
 * checks; undefined when the alias still names `serving`.
 */
export async function movedChampion(deps: ChampionDeps, serving: string): Promise<LoadedModel | undefined> {
  const current = await deps.registry.resolve(deps.modelName, CHAMPION);
  if (current.version === serving) return undefined;
  return loadChampion(deps, runtimeFor(deps, current, `champion moved to version ${current.version}`), current);
}

/** The runtime that loads `version`'s format; `E_CONFIG` saying `what` happened when there is none. */
function runtimeFor(deps: ChampionDeps, version: ModelVersion, what: string): ModelRuntime {
  const runtime = deps.runtime;
  if (runtime === undefined || !runtime.supports(version.format))
    throw new DissonanceError('E_CONFIG', `${what} but no runtime that loads "${version.format}" is configured`);
  return runtime;
}

/**
 * The registry's `challenger` (left by an engine stopped with `{ canary: 'leave' }`), loaded after the same checks
 * as a champion, to resume its canary; undefined when there is none or it is the champion. `E_CONFIG` when no
 * runtime loads its format.
 */
export async function leftChallenger(
  deps: ChampionDeps,
  champion: string,
): Promise<{ readonly model: LoadedModel; readonly version: ModelVersion } | undefined> {
  let version: ModelVersion;
  try {
    version = await deps.registry.resolve(deps.modelName, CHALLENGER);
  } catch (error) {
    if (error instanceof DissonanceError && (error.code === 'E_ALIAS_NOT_FOUND' || error.code === 'E_NOT_FOUND'))
      return undefined;
    throw error;
  }
  if (version.version === champion) return undefined;
  const runtime = runtimeFor(deps, version, `challenger ${version.version} was left in its canary`);
  return { model: await loadChampion(deps, runtime, version), version };
}

/** Checks the version's shape, fetches its artifact verified against the trust policy and loads it. */
async function loadChampion(deps: ChampionDeps, runtime: ModelRuntime, current: ModelVersion): Promise<LoadedModel> {
  checkChampionShape(current, deps.proposer);
  // Verified against the trust policy before the runtime sees a byte; a refusal keeps the champion serving.
  const { artifact } = await fetchVerified(deps.registry, deps.modelName, current.version, deps.verifier);
  return runtime.load(artifact, current);
}

/**
 * A registry champion (e.g. a model adopted from MLflow, whose width and classes come from its signature) must
 * take the engine's input width and give its classes: `E_MODEL` before its artifact is fetched otherwise.
 */
function checkChampionShape(
  current: ModelVersion,
  proposer: { readonly inputWidth: number; readonly classes: number },
): void {
  if (current.inputWidth !== proposer.inputWidth || current.classes !== proposer.classes) {
    throw new DissonanceError(
      'E_MODEL',
      `champion ${current.name} version ${current.version} is ${current.inputWidth}→${current.classes} but the engine's models are ` +
        `${proposer.inputWidth}→${proposer.classes}`,
      {
        details: {
          name: current.name,
          version: current.version,
          inputWidth: current.inputWidth,
          classes: current.classes,
        },
      },
    );
  }
}

/**
 * Throws `E_NOT_FOUND` when the model's `champion` alias exists but names a version the registry does not hold
 * (registering the proposer then would add a stray version and fail on the alias). An unknown model passes.
 */
async function refuseDanglingChampion(registry: ChampionDeps['registry'], modelName: string): Promise<void> {
  let aliases: Readonly<Record<string, string>>;
  try {
    aliases = await registry.aliases(modelName);
  } catch (error) {
    if (error instanceof DissonanceError && error.code === 'E_NOT_FOUND') return;
    throw error;
  }
  const version = aliases[CHAMPION];
  if (version === undefined) return;
  throw new DissonanceError(
    'E_NOT_FOUND',
    `alias ${CHAMPION} of ${modelName} points at version ${version}, which the registry does not hold: point it at an existing version (or delete it) before starting`,
    { details: { name: modelName, alias: CHAMPION, version } },
  );
}
