import { describe, expect, it } from 'vitest';
import {
  createArtifactVerifier,
  createEngine,
  generateSigningKeyPair,
  MemoryRegistry,
  MemoryStore,
  signArtifact,
  signatureTags,
  type ErrorEvent,
  type LoadedModel,
  type ModelArtifact,
  type ModelRuntime,
  type SigningKeyPair,
  type Trainer,
} from '../../src/index.js';
import { initMlp, MlpModel, mlpModelFromOnnx } from '../../src/mlp.js';
import { SIGNATURE_KEY_ID_TAG, SIGNATURE_TAG, signatureFromTags } from '../../src/adapter-kit/index.js';
import { expectCode } from '../../src/testing/index.js';

const WIDTH = 4;
const mlp = (seed: number): MlpModel =>
  new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [3], classes: 2, seed }), { name: 'm' });
const row = (i: number) => ({ x: Float32Array.of(i, -i, 0.5, 1), rows: 1, ids: [`r${i}`] });

/** An ONNX runtime over the SDK's MLP reader that records every artifact handed to it. */
function countingRuntime(): { runtime: ModelRuntime; loaded: Uint8Array[] } {
  const loaded: Uint8Array[] = [];
  const runtime: ModelRuntime = {
    name: 'mlp-onnx',
    supports: (format) => format === 'onnx',
    load(artifact: ModelArtifact, info): Promise<LoadedModel> {
      loaded.push(artifact.bytes);
      return Promise.resolve(mlpModelFromOnnx(artifact.bytes, info));
    },
  };
  return { runtime, loaded };
}

async function signedEngine(trusted: SigningKeyPair) {
  const registry = new MemoryRegistry();
  const { runtime, loaded } = countingRuntime();
  const engine = createEngine({
    modelName: 'm',
    proposer: mlp(1),
    critics: [mlp(2)],
    registry,
    runtime,
    trust: { keys: [trusted.publicKey] },
    signing: { privateKey: trusted.privateKey, keyId: trusted.keyId },
    policy: { maxDissonance: 1 },
  });
  const errors: ErrorEvent[] = [];
  engine.on('error', (e) => errors.push(e));
  await engine.ready();
  return { engine, registry, loaded, errors };
}

async function publishChampion(
  registry: MemoryRegistry,
  artifact: ModelArtifact,
  tags: Record<string, string> = {},
): Promise<string> {
  const version = await registry.register({ name: 'm', artifact, inputWidth: WIDTH, classes: 2, tags });
  await registry.setAlias('m', 'champion', version.version);
  return version.version;
}

describe('trust policy on the champion load path', () => {
  it('signs the first champion it registers', async () => {
    const trusted = await generateSigningKeyPair();
    const { engine, registry } = await signedEngine(trusted);
    const manifest = await registry.get('m', engine.championVersion);
    expect(manifest.tags[SIGNATURE_KEY_ID_TAG]).toBe(trusted.keyId);
    const { artifact } = await registry.fetch('m', manifest.version);
    await expect(
      createArtifactVerifier({ keys: [trusted.publicKey] }).verify(artifact, signatureFromTags(manifest.tags)),
    ).resolves.toBeUndefined();
    await engine.stop();
  });

  it('refuses unsigned, tampered and wrong-key champions before the runtime sees them; the old champion keeps serving', async () => {
    const trusted = await generateSigningKeyPair();
    const stranger = await generateSigningKeyPair();
    const { engine, registry, loaded, errors } = await signedEngine(trusted);
    const before = (await engine.process(row(1))).probabilities;
    const first = engine.championVersion;
    const good = (await registry.get('m', first)).tags;

    const candidate = mlp(7).artifact;
    const attempts: [string, Record<string, string>, string][] = [
      ['unsigned', {}, 'unsigned'],
      // Tampered: another model's bytes presented under the champion's valid signature.
      ['tampered', { [SIGNATURE_TAG]: good[SIGNATURE_TAG] ?? '', [SIGNATURE_KEY_ID_TAG]: trusted.keyId }, 'mismatch'],
      [
        'wrong key',
        { ...signatureTags((await signArtifact(candidate, stranger.privateKey)).signature) },
        'untrusted-key',
      ],
      [
        'wrong key claiming the trusted id',
        {
          ...signatureTags((await signArtifact(candidate, stranger.privateKey)).signature),
          [SIGNATURE_KEY_ID_TAG]: trusted.keyId,
        },
        'mismatch',
      ],
    ];
    for (const [label, tags, reason] of attempts) {
      errors.length = 0;
      await publishChampion(registry, candidate, tags);
      await expect(engine.refreshChampion(), label).resolves.toBe(false);
      expect(
        errors.map((e) => [e.stage, e.error.code, e.error.details.reason]),
        label,
      ).toEqual([['refresh', 'E_ARTIFACT_SIGNATURE', reason]]);
      expect(engine.championVersion, label).toBe(first);
      expect((await engine.process(row(1))).probabilities, label).toEqual(before);
    }
    expect(loaded).toEqual([]);

    // A properly signed champion is accepted and served.
    const signed = await publishChampion(registry, candidate, {
      ...signatureTags((await signArtifact(candidate, trusted.privateKey)).signature),
    });
    await expect(engine.refreshChampion()).resolves.toBe(true);
    expect(engine.championVersion).toBe(signed);
    expect(loaded).toHaveLength(1);
    expect((await engine.process(row(1))).probabilities).not.toEqual(before);
    await engine.stop();
  });

  it('an engine starting on an unsigned registry champion fails to start with E_ARTIFACT_SIGNATURE', async () => {
    const trusted = await generateSigningKeyPair();
    const registry = new MemoryRegistry();
    await publishChampion(registry, mlp(3).artifact);
    const { runtime, loaded } = countingRuntime();
    const engine = createEngine({
      modelName: 'm',
      proposer: mlp(1),
      critics: [mlp(2)],
      registry,
      runtime,
      trust: { keys: [trusted.publicKey] },
    });
    await expectCode(engine.ready(), 'E_ARTIFACT_SIGNATURE');
    expect(loaded).toEqual([]);
  });

  it('signs retrained candidates with the configured key, so a second engine trusts them', async () => {
    const trusted = await generateSigningKeyPair();
    const store = new MemoryStore();
    await store.appendExamples(
      Array.from({ length: 3 }, (_, i) => ({
        id: `e${i}`,
        x: Float32Array.of(i, 0, 1, 0),
        target: { kind: 'hard' as const, label: i % 2 },
        weight: 1,
        provenance: { itemId: `e${i}`, origin: 'oracle' as const, dissonance: 0.2, proposerVersion: '1', at: 0 },
      })),
    );
    const next = mlp(9);
    const trainer: Trainer = {
      name: 'fixed',
      fit: () => Promise.resolve({ model: next, artifact: next.artifact, report: { loss: [0.1] } }),
    };
    const registry = new MemoryRegistry();
    const engine = createEngine({
      modelName: 'm',
      proposer: mlp(1),
      critics: [mlp(2)],
      registry,
      store,
      trainer,
      retrain: { minExamples: 1, everyExamples: 0 },
      rollout: { canaryFraction: 0 },
      policy: { klEps: 10 },
      signing: { privateKey: JSON.stringify(trusted.privateKey) },
    });
    await engine.retrainNow();
    expect(engine.championVersion).toBe('2');
    const manifest = await registry.get('m', '2');
    expect(manifest.tags[SIGNATURE_KEY_ID_TAG]).toBe(trusted.keyId);
    await engine.stop();

    const { runtime, loaded } = countingRuntime();
    const follower = createEngine({
      modelName: 'm',
      proposer: mlp(1),
      critics: [mlp(2)],
      registry,
      runtime,
      trust: { keys: [trusted.publicKey] },
    });
    await follower.ready();
    expect(follower.championVersion).toBe('2');
    expect(loaded).toHaveLength(1);
    await follower.stop();
  });

  it('rejects a malformed trust or signing option with E_CONFIG', async () => {
    const base = { proposer: mlp(1), critics: [mlp(2)] };
    await expectCode(() => createEngine({ ...base, trust: { keys: [] } }), 'E_CONFIG');
    await expectCode(() => createEngine({ ...base, trust: 'yes' as never }), 'E_CONFIG');
    await expectCode(() => createEngine({ ...base, signing: {} as never }), 'E_CONFIG');
  });
});
