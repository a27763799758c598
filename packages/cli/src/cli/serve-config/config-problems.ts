import { DissonanceError } from '@dissonance/core';

/** One problem of a serve config: where (`models.critics.0.path`, or `(file)` for the file itself) and what. */
export interface ConfigProblem {
  /** Dotted path of the field; array items by index. `(file)` when the file as a whole is at fault. */
  readonly path: string;
  /** What is wrong, in words; never the value of a field (it may hold a substituted secret). */
  readonly message: string;
}

/** Joins a path's segments with dots (`(root)` for the root). */
export function problemPath(segments: readonly PropertyKey[]): string {
  return segments.length === 0 ? '(root)' : segments.map((s) => String(s)).join('.');
}

/** `path: message`, the line `dissonance serve --config` prints per problem. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.path}: ${problem.message}`;
}

/**
 * The error a bad serve config fails with: `E_CONFIG`, the message one `path: message` line per problem,
 * `details.problems` the same lines and `details.file` the config file.
 */
export function configProblemsError(file: string, problems: readonly ConfigProblem[]): DissonanceError {
  const lines = problems.map(formatProblem);
  return new DissonanceError(
    'E_CONFIG',
    `config file ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`,
    {
      details: { file, problems: lines },
    },
  );
}

/** The problems of an `E_CONFIG` made by {@link configProblemsError}; undefined for any other error. */
export function problemsOf(error: unknown): readonly string[] | undefined {
  if (!(error instanceof DissonanceError) || error.code !== 'E_CONFIG') return undefined;
  const problems = error.details.problems;
  return Array.isArray(problems) ? problems.map(String) : undefined;
}
