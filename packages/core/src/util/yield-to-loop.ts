/** Yields to the event loop (a macrotask), so long work in steps does not starve the process or page. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
