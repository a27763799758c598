import {
  createArtifactSigner,
  isDissonanceError,
  type LoadedModel,
  type ModelRegistry,
  type SigningConfig,
} from '@dissonance/core';

/**
 * Registers each critic (alias `champion`, tag `role: critic`, signed with `signing` when given) unless its
 * name already has a `champion`, so the HTTP surface can publish it for browsers that compute dissonance on
 * the device.
 */
export async function publishCritics(
  registry: ModelRegistry,
  critics: readonly LoadedModel[],
  signing: SigningConfig | undefined,
): Promise<void> {
  for (const critic of critics) {
    if (critic.artifact === undefined) continue;
    try {
      await registry.resolve(critic.name, 'champion');
      continue;
    } catch (error) {
      if (!isDissonanceError(error) || (error.code !== 'E_NOT_FOUND' && error.code !== 'E_ALIAS_NOT_FOUND'))
        throw error;
    }
    const version = await registry.register({
      name: critic.name,
      artifact: critic.artifact,
      inputWidth: critic.inputWidth,
      classes: critic.classes,
      tags: {
        role: 'critic',
        ...(signing === undefined ? {} : await createArtifactSigner(signing).tags(critic.artifact)),
      },
    });
    await registry.setAlias(critic.name, 'champion', version.version, { expected: null });
  }
}
