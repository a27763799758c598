import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Parsed arguments of a subcommand, or the message of a bad command line. */
export type ParsedArgs =
  { readonly values: Record<string, string | boolean | string[] | undefined>; readonly positionals: string[] } | string;

/** `node:util` `parseArgs` in strict mode, returning the error message instead of throwing it. */
export function parseCommandArgs(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
