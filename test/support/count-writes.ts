/** A net.Socket's two write paths, as Node's Writable calls them. */
export interface CountedSocket {
  cork?: unknown;
  _write: (...args: unknown[]) => void;
  _writev: (...args: unknown[]) => void;
}

/**
 * Counts, from now on, how often `socket` hands data to the system: `write` (one chunk) and `writev` (the
 * chunks buffered while it was corked, in one call). For the adapters' write-coalescing tests.
 */
export function countWrites(socket: CountedSocket): { write: number; writev: number } {
  const counts = { write: 0, writev: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...args) => {
    counts.write++;
    write(...args);
  };
  socket._writev = (...args) => {
    counts.writev++;
    writev(...args);
  };
  return counts;
}
