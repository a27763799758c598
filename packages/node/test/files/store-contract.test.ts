import { storeContract } from '@dissonance/core/testing';
import { FileStore } from '../../src/files/file-store.js';
import { tempDir } from './fixtures/temp-dir.js';

storeContract('file', async ({ capacity }) => {
  const dir = await tempDir('store');
  return {
    store: await FileStore.open({ dir: dir.path, capacity }),
    reopen: () => FileStore.open({ dir: dir.path, capacity }),
    cleanup: dir.remove,
  };
});
