/**
 * The object layout of an {@link S3Registry} under its prefix:
 *
 * ```
 * <prefix>models/<name>/<version>/model.<format>   the artifact bytes (written first)
 * <prefix>models/<name>/<version>/manifest.json    the ModelVersion JSON (written last: the version is visible)
 * <prefix>models/<name>/aliases/<alias>.json       {"version": "<n>"}
 * ```
 */
export class RegistryKeys {
  readonly #prefix: string;

  /** `prefix` is used as given, with a `/` appended when it is non-empty and lacks one. */
  constructor(prefix: string) {
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  /** The normalized prefix (empty, or ending in `/`). */
  get prefix(): string {
    return this.#prefix;
  }

  /** Everything of one model: `<prefix>models/<name>/`. */
  model(name: string): string {
    return `${this.#prefix}models/${name}/`;
  }

  /** The artifact of a version. */
  artifact(name: string, version: string, format: string): string {
    return `${this.model(name)}${version}/model.${format}`;
  }

  /** The manifest of a version. */
  manifest(name: string, version: string): string {
    return `${this.model(name)}${version}/manifest.json`;
  }

  /** Where a model's aliases live: `<prefix>models/<name>/aliases/`. */
  aliases(name: string): string {
    return `${this.model(name)}aliases/`;
  }

  /** One alias object. */
  alias(name: string, alias: string): string {
    return `${this.aliases(name)}${alias}.json`;
  }
}

/** Version numbers as the registry writes them: `1`, `2`, … (no sign, no leading zero). */
export const VERSION_NUMBER = /^[1-9][0-9]{0,15}$/;

/** The version number of a key `<model prefix><n>/manifest.json`, or undefined for any other key. */
export function manifestVersionOf(modelPrefix: string, key: string): number | undefined {
  if (!key.startsWith(modelPrefix)) return undefined;
  const match = /^([1-9][0-9]{0,15})\/manifest\.json$/.exec(key.slice(modelPrefix.length));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The version number of any key inside a version folder `<model prefix><n>/…`, or undefined. */
export function versionFolderOf(modelPrefix: string, key: string): number | undefined {
  if (!key.startsWith(modelPrefix)) return undefined;
  const match = /^([1-9][0-9]{0,15})\//.exec(key.slice(modelPrefix.length));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
