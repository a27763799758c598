import { KeyedMutex } from '@dissonance/core/adapter-kit';

/** The one mutex shared by every file registry and store in this process (keyed by absolute path). */
export const processMutex = new KeyedMutex();
