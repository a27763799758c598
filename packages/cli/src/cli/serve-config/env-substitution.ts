import type { ConfigProblem } from './config-problems.js';
import { problemPath } from './config-problems.js';

/** The environment substitution reads from. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What {@link substituteEnv} made: the value with every reference replaced, and the references it could not. */
export interface Substituted {
  readonly value: unknown;
  readonly problems: readonly ConfigProblem[];
  /** Paths of the strings that held at least one reference (their values are never printed). */
  readonly substituted: ReadonlySet<string>;
}

// `$${…}` is a literal `${…}`; `${NAME}` and `${NAME:-default}` are references.
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces environment references in the string values of parsed JSON (never in keys, numbers or booleans):
 * `${NAME}` is the variable's value, `${NAME:-default}` the default when the variable is unset or empty, and
 * `$${` a literal `${`. A variable that is unset with no default, or a malformed reference, is a problem at the
 * string's path (the string becomes `''`); the message names the variable, never a value.
 */
export function substituteEnv(json: unknown, env: Env): Substituted {
  const problems: ConfigProblem[] = [];
  const substituted = new Set<string>();
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === 'string') return substituteString(value, env, path, problems, substituted);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  };
  return { value: walk(json, []), problems, substituted };
}

function substituteString(
  text: string,
  env: Env,
  path: readonly PropertyKey[],
  problems: ConfigProblem[],
  substituted: Set<string>,
): string {
  if (!text.includes('${')) return text;
  const where = problemPath(path);
  let failed = false;
  const result = text.replace(REFERENCE, (match, body: string | undefined) => {
    if (match === '$${') return '${';
    substituted.add(where);
    const separator = body!.indexOf(':-');
    const name = separator < 0 ? body! : body!.slice(0, separator);
    if (!NAME.test(name)) {
      problems.push({
        path: where,
        message: `malformed reference \${${name}} (a variable name is letters, digits and _)`,
      });
      failed = true;
      return '';
    }
    const set = env[name];
    if (separator >= 0) return set === undefined || set === '' ? body!.slice(separator + 2) : set;
    if (set === undefined) {
      problems.push({
        path: where,
        message: `environment variable ${name} is not set (give it a value, or a default: \${${name}:-default})`,
      });
      failed = true;
      return '';
    }
    return set;
  });
  return failed ? '' : result;
}
