import { KeyedMutex } from '@dissonance/core/adapter-kit';

/**
 * Serializes async sections per key within this process (module-wide, so two registry instances for the
 * same server share it). Used to make alias compare-and-set atomic among this process's writers.
 */
const mutex = new KeyedMutex();

/** Runs `work` once every earlier section with the same `key` has settled. */
export function withKeyLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  return mutex.run(key, work);
}
