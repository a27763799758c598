import { describe, expect, it } from 'vitest';
import {
  createArtifactVerifier,
  createEngine,
  generateSigningKeyPair,
  MemoryRegistry,
  signArtifact,
  type ErrorEvent,
  type ModelArtifact,
  type ModelRuntime,
  type SigningKeyPair,
  type TrustPolicy,
} from '../../src/index.js';
import { initMlp, MlpModel, mlpModelFromOnnx, writeOnnxMlp } from '../../src/mlp.js';
import { expectCode } from '../../src/testing/index.js';

const mlp = (seed: number, inputWidth = 4, classes = 2): MlpModel =>
  new MlpModel(initMlp({ inputWidth, hidden: [3], classes, seed }), { name: 'm' });
const onnx = (seed: number, inputWidth = 4, classes = 2): ModelArtifact => ({
  format: 'onnx',
  bytes: writeOnnxMlp(initMlp({ inputWidth, hidden: [3], classes, seed })),
});

const runtime: ModelRuntime = {
  name: 'mlp-onnx',
  supports: (format) => format === 'onnx',
  load: (artifact, info) => Promise.resolve(mlpModelFromOnnx(artifact.bytes, info)),
};

async function engineWith(trust: TrustPolicy, keys: SigningKeyPair, registry = new MemoryRegistry()) {
  const engine = createEngine({
    modelName: 'm',
    proposer: mlp(1),
    critics: [mlp(2)],
    registry,
    runtime,
    trust,
    signing: { privateKey: keys.privateKey },
    policy: { maxDissonance: 1 },
  });
  const errors: ErrorEvent[] = [];
  engine.on('error', (e) => errors.push(e));
  await engine.ready();
  return { engine, registry, errors };
}

/** An unsigned version published by "someone else" (as an adopted MLflow model is) and made champion. */
async function adopt(registry: MemoryRegistry, artifact: ModelArtifact, inputWidth = 4, classes = 2): Promise<string> {
  const v = await registry.register({
    name: 'm',
    artifact,
    inputWidth,
    classes,
    tags: { 'dissonance.adopted': 'mlflow' },
  });
  await registry.setAlias('m', 'champion', v.version);
  return v.version;
}

describe('trust policy allowUnsigned (adopted models)', () => {
  it('loads an unsigned champion only when the policy names its registry and model', async () => {
    const keys = await generateSigningKeyPair();
    const strict = await engineWith({ keys: [keys.publicKey] }, keys);
    await adopt(strict.registry, onnx(5));
    expect(await strict.engine.refreshChampion()).toBe(false);
    expect(strict.errors.at(-1)?.error.code).toBe('E_ARTIFACT_SIGNATURE');
    expect(strict.engine.championVersion).toBe('1');
    await strict.engine.stop();

    // Another registry's name, or another model, is not named: still refused.
    for (const allowUnsigned of [
      { registry: 'mlflow', models: ['m'] },
      { registry: 'memory', models: ['other'] },
    ]) {
      const other = await engineWith({ keys: [keys.publicKey], allowUnsigned }, keys);
      await adopt(other.registry, onnx(5));
      expect(await other.engine.refreshChampion()).toBe(false);
      expect(other.errors.at(-1)?.error.code).toBe('E_ARTIFACT_SIGNATURE');
      await other.engine.stop();
    }

    const named = await engineWith(
      { keys: [keys.publicKey], allowUnsigned: { registry: 'memory', models: ['m'] } },
      keys,
    );
    const version = await adopt(named.registry, onnx(5));
    expect(await named.engine.refreshChampion()).toBe(true);
    expect(named.engine.championVersion).toBe(version);
    expect(named.errors).toEqual([]);
    await named.engine.stop();
  });

  it('still verifies a signed version of a named model, and still runs the format checks', async () => {
    const keys = await generateSigningKeyPair();
    const stranger = await generateSigningKeyPair();
    const verifier = createArtifactVerifier({
      keys: [keys.publicKey],
      allowUnsigned: { registry: 'mlflow', models: ['m'] },
    });
    const source = { registry: 'mlflow', model: 'm' };
    const artifact = onnx(3);
    await expect(verifier.verify(artifact, undefined, 'm v1', source)).resolves.toBeUndefined();
    const { signature } = await signArtifact(artifact, stranger.privateKey);
    await expectCode(verifier.verify(artifact, signature, 'm v1', source), 'E_ARTIFACT_SIGNATURE');
    await expectCode(
      verifier.verify({ format: 'onnx', bytes: new Uint8Array([1, 2, 3]) }, undefined, 'm v1', source),
      'E_MODEL',
    );
    await expectCode(verifier.verify(artifact, undefined, 'm v1'), 'E_ARTIFACT_SIGNATURE');
  });

  it('refuses a malformed allowUnsigned with E_CONFIG', () => {
    for (const allowUnsigned of [
      null,
      { registry: '', models: [] },
      { registry: 'mlflow', models: 'm' },
      { registry: 'mlflow', models: [''] },
    ]) {
      expect(
        () => createArtifactVerifier({ keys: [], require: false, allowUnsigned: allowUnsigned as never }),
        JSON.stringify(allowUnsigned),
      ).toThrow(/allowUnsigned/);
    }
  });
});

describe('a registry champion of another shape', () => {
  it('is refused with E_MODEL before its artifact is fetched; the current champion keeps serving', async () => {
    const keys = await generateSigningKeyPair();
    const { engine, registry, errors } = await engineWith(
      { keys: [keys.publicKey], allowUnsigned: { registry: 'memory', models: ['m'] } },
      keys,
    );
    await adopt(registry, onnx(5, 3, 2), 3, 2);
    expect(await engine.refreshChampion()).toBe(false);
    expect(errors.at(-1)?.error.code).toBe('E_MODEL');
    expect(errors.at(-1)?.error.message).toMatch(/3→2 but the engine's models are 4→2/);
    expect(engine.championVersion).toBe('1');
    const served = await engine.process({ x: Float32Array.of(1, 2, 3, 4), rows: 1, ids: ['a'] });
    expect(served.probabilities).toHaveLength(2);
    await engine.stop();
  });
});
