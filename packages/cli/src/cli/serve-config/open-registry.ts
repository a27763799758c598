import { join } from 'node:path';
import type { KeyProvider, ModelRegistry } from '@dissonance/core';
import { FileRegistry } from '@dissonance/node';
import { loadMlflowAdapter } from '../../registry-factory/index.js';
import type { ServeConfig } from './config-schema.js';
import { loadS3Adapter } from './s3-adapter.js';

/** A registry that serve closes when it stops. */
export type ClosableRegistry = ModelRegistry & { close?(): void | Promise<void> };

/**
 * Opens the registry a serve config names: a {@link FileRegistry} (`registry.root`, default
 * `<state dir>/registry`), MLflow or S3 through their optional adapter packages, loaded on demand
 * (`E_CONFIG` naming the package when it is not installed).
 */
export async function openRegistry(
  config: ServeConfig['registry'],
  stateDir: string,
  encryption: KeyProvider | undefined,
): Promise<ClosableRegistry> {
  const encrypted = encryption === undefined ? {} : { encryption };
  if (config.kind === 'file')
    return new FileRegistry({ root: config.root ?? join(stateDir, 'registry'), ...encrypted });
  if (config.kind === 'mlflow') {
    const adapter = await loadMlflowAdapter();
    return new adapter.MlflowRegistry({ url: config.uri, experimentName: config.experiment });
  }
  const { kind: _kind, ...options } = config;
  const adapter = await loadS3Adapter();
  return new adapter.S3Registry({ ...options, ...encrypted });
}
