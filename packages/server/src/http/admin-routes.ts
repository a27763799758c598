import { DissonanceError, type PolicyPatch } from '@dissonance/core';
import type { EngineView } from './champion-models.js';
import { HttpError } from './http-error.js';
import type { Principal } from './jwt-auth.js';
import type { VerifiedArtifacts } from './verified-artifacts.js';

/** What promote and rollback answer. */
export interface AliasChange {
  readonly name: string;
  readonly champion: string;
  readonly previous: string;
}

/**
 * Promotes `version` to champion with `engine.promote` (compare-and-set of the registry alias, hot-swap, audit
 * as `model.promote` with the principal). The version is fetched and checked here first (digest; with a trust
 * policy, its signature): a refused artifact is a 409 naming why, and the alias never moves. When the engine
 * cannot load the version, it puts the alias back (409 `E_REGISTRY_CONFLICT`; a failed restore is
 * `E_ALIAS_RESTORE`) and nothing is audited.
 */
export async function promote(
  engine: EngineView,
  principal: Principal,
  version: string,
  reason: string | undefined,
  artifacts: VerifiedArtifacts,
): Promise<AliasChange> {
  const name = engine.modelName;
  const before = engine.championVersion;
  await engine.registry.get(name, version);
  if (version === before) return { name, champion: version, previous: before };
  await artifacts.fetch(name, version);
  const { champion, previous } = await engine.promote(version, {
    who: principal.id,
    reason: reason ?? 'promoted over HTTP',
  });
  return { name, champion, previous };
}

/** Rolls the champion back (to the previous champion or `to`); the engine audits it with the principal. */
export async function rollback(
  engine: EngineView,
  principal: Principal,
  to: string | undefined,
  reason: string | undefined,
): Promise<AliasChange> {
  const previous = engine.championVersion;
  const champion = await engine.rollback({
    who: principal.id,
    reason: reason ?? 'rolled back over HTTP',
    ...(to === undefined ? {} : { to }),
  });
  return { name: engine.modelName, champion, previous };
}

/** Applies a policy patch; the engine validates it strictly and audits it with the principal. */
export async function updatePolicy(
  engine: EngineView,
  principal: Principal,
  patch: Readonly<Record<string, number>>,
): Promise<Record<string, number>> {
  try {
    return { ...(await engine.updatePolicy(patch as PolicyPatch, { who: principal.id, reason: 'updated over HTTP' })) };
  } catch (error) {
    if (error instanceof DissonanceError && error.code === 'E_POLICY')
      throw new HttpError(400, 'E_POLICY', error.message);
    throw error;
  }
}
