import {
  createEngine,
  generateEncryptionKey,
  generateSigningKeyPair,
  signArtifact,
  signatureTags,
  staticKeyProvider,
  type ErrorEvent,
} from '@dissonance/core';
import { SIGNATURE_KEY_ID_TAG } from '@dissonance/core/adapter-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRegistry } from '../../src/files/file-registry.js';
import { FileStore } from '../../src/files/file-store.js';
import { OnnxNodeRuntime } from '../../src/onnx/index.js';
import { randomMlp, randomRows, writeOnnxMlp } from '../onnx/fixtures.js';
import { tempDir } from '../files/fixtures/temp-dir.js';

describe('an engine on onnxruntime-node with signed, encrypted artifacts', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });

  it('signs and encrypts its champion, hot-swaps a signed one, and refuses an unsigned one while serving the old', async () => {
    const dir = await tempDir('secure-engine');
    dirs.push(dir);
    const pair = await generateSigningKeyPair();
    const encryption = staticKeyProvider([['k1', generateEncryptionKey()]]);
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const registry = new FileRegistry({ root: `${dir.path}/models`, encryption });
    const store = await FileStore.open({ dir: `${dir.path}/state`, encryption });
    const proposer = await runtime.loadBytes(writeOnnxMlp(randomMlp([8, 12, 3], 1)), { name: 'm', version: '0' });
    const critic = await runtime.loadBytes(writeOnnxMlp(randomMlp([8, 12, 3], 2)), { name: 'c', version: '0' });
    const engine = createEngine({
      modelName: 'm',
      proposer,
      critics: [critic],
      runtime,
      registry,
      store,
      trust: { keys: [pair.publicKey] },
      signing: { privateKey: pair.privateKey },
    });
    const errors: ErrorEvent[] = [];
    engine.on('error', (e) => errors.push(e));
    await engine.ready();
    expect((await registry.get('m', '1')).tags[SIGNATURE_KEY_ID_TAG]).toBe(pair.keyId);
    const x = randomRows(4, 8, 3);
    const before = (await engine.process({ x, rows: 4 })).probabilities;

    // An unsigned model moved in as champion behind the engine's back: refused, v1 keeps serving.
    const other = { format: 'onnx', bytes: writeOnnxMlp(randomMlp([8, 12, 3], 9)) };
    const unsigned = await registry.register({ name: 'm', artifact: other, inputWidth: 8, classes: 3 });
    await registry.setAlias('m', 'champion', unsigned.version);
    await expect(engine.refreshChampion()).resolves.toBe(false);
    expect(errors.map((e) => e.error.code)).toEqual(['E_ARTIFACT_SIGNATURE']);
    expect(engine.championVersion).toBe('1');
    expect((await engine.process({ x, rows: 4 })).probabilities).toEqual(before);

    // The same bytes, signed by the trusted key: loaded by onnxruntime and served.
    const signed = await registry.register({
      name: 'm',
      artifact: other,
      inputWidth: 8,
      classes: 3,
      tags: signatureTags((await signArtifact(other, pair.privateKey)).signature),
    });
    await registry.setAlias('m', 'champion', signed.version);
    await expect(engine.refreshChampion()).resolves.toBe(true);
    expect(engine.championVersion).toBe(signed.version);
    expect((await engine.process({ x, rows: 4 })).probabilities).not.toEqual(before);
    await engine.stop();
    await store.close();
    await Promise.all([proposer.dispose(), critic.dispose()]);
  });
});
