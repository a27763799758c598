let tail: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` after every call queued before it. onnxruntime-web has one wasm instance per page, and a
 * session run while another is in flight fails with "Session already started", so every `session.run` of
 * this package (model runs, load-time probes, provider benchmarks) goes through this one queue.
 */
export function serializeRun<T>(work: () => Promise<T>): Promise<T> {
  const result = tail.then(work);
  tail = result.catch(() => undefined);
  return result;
}
