/** The message of whatever was thrown (an `Error`'s message, else its string form), never throwing itself. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return String(error);
  } catch {
    return 'a value that cannot be printed was thrown';
  }
}
