/**
 * Serializes async sections per key within this process (module-wide, so two registry instances for the
 * same server share it). Used to make alias compare-and-set atomic among this process's writers.
 */
const tails = new Map<string, Promise<void>>();

/** Runs `work` once every earlier section with the same `key` has settled. */
export async function withKeyLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await work();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
