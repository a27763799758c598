import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registryContract } from '@dissonance/core/testing';
import { FileRegistry } from '../../src/files/file-registry.js';
import { tempDir } from './fixtures/temp-dir.js';

registryContract('file', async () => {
  const dir = await tempDir('registry');
  return {
    registry: new FileRegistry({ root: dir.path }),
    /** Flips one bit of the artifact on disk, behind the registry's back. */
    tamper: async (name, version) => {
      const path = join(dir.path, name, version, 'model.onnx');
      const bytes = await readFile(path);
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      await writeFile(path, bytes);
    },
    cleanup: dir.remove,
  };
});
