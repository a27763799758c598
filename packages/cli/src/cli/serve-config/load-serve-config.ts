import { dirname, resolve } from 'node:path';
import { isDissonanceError } from '@dissonance/core';
import type { z } from 'zod';
import { loadConfigFile } from '@dissonance/node';
import { configProblemsError, problemPath, type ConfigProblem } from './config-problems.js';
import { serveConfigSchema, type ServeConfig } from './config-schema.js';
import { substituteEnv, type Env } from './env-substitution.js';

/** A loaded config and where it came from. */
export interface LoadedServeConfig {
  /** Absolute path of the file. */
  readonly file: string;
  readonly config: ServeConfig;
}

/**
 * Reads `file` (JSON), substitutes `${ENV}` references in its strings from `env`, and validates it against
 * {@link serveConfigSchema} with relative paths resolved against the file's directory. Nothing is started.
 *
 * @throws DissonanceError `E_CONFIG` listing every problem as `path: message` (`details.problems`): an
 *   unreadable file or invalid JSON is one problem at `(file)`; a missing variable, a wrong type, an unknown
 *   field, a missing file are each one problem at their field's path.
 */
export async function loadServeConfig(file: string, env: Env = process.env): Promise<LoadedServeConfig> {
  const path = resolve(file);
  let json: unknown;
  try {
    json = await loadConfigFile(path);
  } catch (error) {
    if (!isDissonanceError(error)) throw error;
    throw configProblemsError(path, [
      { path: '(file)', message: error.message.replace(/^E_CONFIG: config file \S+: /, '') },
    ]);
  }
  return { file: path, config: parseServeConfig(json, dirname(path), env, path) };
}

/**
 * Validates parsed JSON as a serve config (see {@link loadServeConfig}); `baseDir` resolves relative paths.
 *
 * @throws DissonanceError `E_CONFIG` listing every problem.
 */
export function parseServeConfig(
  json: unknown,
  baseDir: string,
  env: Env = process.env,
  source = '(inline)',
): ServeConfig {
  const substituted = substituteEnv(json, env);
  const problems: ConfigProblem[] = [...substituted.problems];
  const flagged = new Set(problems.map((p) => p.path));
  const parsed = serveConfigSchema(baseDir).safeParse(substituted.value);
  if (!parsed.success) {
    for (const problem of issueProblems(parsed.error.issues)) {
      // A string whose variable is missing is already reported; its empty stand-in would only repeat it.
      if (!flagged.has(problem.path)) problems.push(problem);
    }
  }
  if (problems.length > 0 || !parsed.success) throw configProblemsError(source, problems);
  return {
    ...parsed.data,
    ...(parsed.data.policy === undefined ? {} : { policy: givenPolicy(parsed.data.policy, substituted.value) }),
  };
}

// The policy is a patch: only the fields the file gives (the schema fills in every default).
function givenPolicy(policy: NonNullable<ServeConfig['policy']>, input: unknown): NonNullable<ServeConfig['policy']> {
  const given = (input as { policy?: Record<string, unknown> }).policy ?? {};
  return Object.fromEntries(Object.entries(policy).filter(([key]) => key in given));
}

/** The kinds of each section with a `kind`, for the message of an unknown one. */
const KINDS: Readonly<Record<string, readonly string[]>> = {
  registry: ['file', 'mlflow', 's3'],
  critics: ['onnx', 'seed', 'registry'],
  sources: ['agreement', 'critic-trust'],
  trainer: ['threaded', 'in-thread', 'none', 'external'],
  auth: ['jwks', 'public-key', 'dev-token'],
};

function issueProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push({ path: problemPath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.errors.every((e) => e.length > 0)) {
      // Take the branch that got furthest: the one whose first issue has the longest path.
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
      problems.push(...issueProblems(best.map((e) => ({ ...e, path: [...issue.path, ...e.path] }))));
    } else {
      problems.push({ path: problemPath(issue.path), message: issueMessage(issue) });
    }
  }
  return problems;
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((i) => i.path.length));
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator !== undefined) {
    const section = [...issue.path].reverse().find((segment) => typeof segment === 'string' && segment !== 'kind');
    const kinds = KINDS[String(section)];
    return kinds === undefined ? 'unknown kind' : `must be one of ${kinds.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'is required';
  return issue.message;
}
