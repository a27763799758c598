import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEngine,
  generateSigningKeyPair,
  MemoryStore,
  signArtifact,
  signatureTags,
  type Engine,
  type SigningKeyPair,
  type TrustPolicy,
} from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRegistry } from '../../packages/node/src/files/file-registry.js';
import { serve, type RunningServer } from '../../packages/server/src/http/index.js';
import { tempDir } from '../../packages/node/test/files/fixtures/temp-dir.js';
import {
  AUDIENCE,
  createSigner,
  ISSUER,
  sumModel,
  sumRuntime,
  type Signer,
} from '../../packages/server/test/http/fixtures.js';
import { FORGED, registerForgeries, sumArtifact, type Forgeries } from '../../packages/server/test/http/forgeries.js';

/**
 * Issue 20, items 4, 5 and 8: forged artifacts — unsigned, signed by a stranger, a stranger's signature under
 * the trusted key id, other bytes under the trusted signature, and a byte flipped on disk — on every route
 * that returns or loads a model: the artifact download, the model description, promotion, and the engine's
 * hot swap when another process moves the alias. None is served with 200 or loaded; each is a typed 409.
 */
describe('adversarial HTTP: forged artifacts on every route that returns or loads a model', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let signer: Signer;
  let pair: SigningKeyPair;
  let trust: TrustPolicy;
  let engine: Engine;
  let server: RunningServer;
  let forged: Forgeries;
  let critic: Forgeries;
  let flipped: string;
  let admin: string;
  const logged: unknown[] = [];

  beforeAll(async () => {
    dir = await tempDir('adversarial-forged');
    signer = await createSigner();
    pair = await generateSigningKeyPair();
    trust = { keys: [pair.publicKey], formats: ['json'] };
    const root = join(dir.path, 'registry');
    engine = createEngine({
      modelName: 'toy',
      proposer: sumModel('toy'),
      critics: [sumModel('critic', '0', 2)],
      runtime: sumRuntime,
      registry: new FileRegistry({ root }),
      store: new MemoryStore(),
      retrain: { everyExamples: 0 },
      trust,
      signing: { privateKey: pair.privateKey },
    });
    await engine.ready();
    // Another process with write access to the registry directory.
    const other = new FileRegistry({ root });
    forged = await registerForgeries(other, 'toy', pair);
    critic = await registerForgeries(other, 'toy-critic', pair);
    await other.setAlias('toy-critic', 'champion', critic.signed, { expected: null });
    const good = sumArtifact(11);
    const tags = signatureTags((await signArtifact(good, pair.privateKey)).signature);
    flipped = (await other.register({ name: 'toy', artifact: good, inputWidth: 4, classes: 2, tags })).version;
    const path = join(root, 'toy', flipped, 'model.json');
    const bytes = readFileSync(path);
    bytes[5] = bytes[5]! ^ 0x20;
    writeFileSync(path, bytes);
    server = await serve({
      engine,
      auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
      port: 0,
      retrainEvery: 0,
      trust,
      published: ['toy-critic'],
      onError: (error) => logged.push(error),
    });
    admin = await signer.sign({ sub: 'ops-admin', scope: 'admin predict' });
  });
  afterAll(async () => {
    await server.close();
    await engine.stop();
    await dir.remove();
  });

  const call = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...init.headers },
    });
  const refused = async (response: Response, codes: readonly string[], what: string): Promise<void> => {
    expect(response.status, what).toBe(409);
    expect(response.headers.get('cache-control'), what).toBe('no-store');
    expect(response.headers.get('x-dissonance-sha256'), what).toBeNull();
    const text = await response.text();
    expect(codes, what).toContain((JSON.parse(text) as { error: { code: string } }).error.code);
    expect(text, what).not.toContain(dir.path);
  };
  const cases = (): [string, string, readonly string[]][] => [
    ...FORGED.map((kind): [string, string, readonly string[]] => [kind, forged[kind], ['E_ARTIFACT_SIGNATURE']]),
    ['flipped byte', flipped, ['E_ARTIFACT_DIGEST']],
  ];

  it('the artifact download refuses each forgery', async () => {
    for (const [kind, version, codes] of cases())
      await refused(await call(`/v1/models/toy/versions/${version}/model.onnx`), codes, kind);
    expect((await call(`/v1/models/toy/versions/${forged.signed}/model.onnx`)).status).toBe(200);
  });

  it('promotion refuses each forgery; the champion and the alias stay', async () => {
    const champion = engine.championVersion;
    for (const [kind, version, codes] of cases()) {
      await refused(
        await call('/v1/models/toy/promote', { method: 'POST', body: JSON.stringify({ version }) }),
        codes,
        kind,
      );
      expect(engine.championVersion, kind).toBe(champion);
      expect((await engine.registry.resolve('toy', 'champion')).version, kind).toBe(champion);
    }
  });

  it('the model description refuses a published model whose champion is a forgery', async () => {
    expect((await call('/v1/models/toy-critic')).status).toBe(200);
    let current = critic.signed;
    for (const kind of FORGED) {
      await engine.registry.setAlias('toy-critic', 'champion', critic[kind], { expected: current });
      current = critic[kind];
      await refused(await call('/v1/models/toy-critic'), ['E_ARTIFACT_SIGNATURE'], kind);
      await refused(
        await call(`/v1/models/toy-critic/versions/${critic[kind]}/model.onnx`),
        ['E_ARTIFACT_SIGNATURE'],
        kind,
      );
    }
  });

  it('an alias moved to a forgery by another process is never loaded; /readyz names the refusal', async () => {
    const champion = engine.championVersion;
    let current = champion;
    for (const [kind, version] of cases()) {
      await engine.registry.setAlias('toy', 'champion', version, { expected: current });
      current = version;
      await expect(engine.refreshChampion(), kind).resolves.toBe(false);
      expect(engine.championVersion, kind).toBe(champion);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status, kind).toBe(503);
      expect(
        ((await ready.json()) as { failing: { name: string }[] }).failing.map((f) => f.name),
        kind,
      ).toContain('loop.refresh');
    }
    await engine.registry.setAlias('toy', 'champion', champion, { expected: current });
    const predict = await call('/v1/predict', { method: 'POST', body: JSON.stringify({ rows: [[1, 1, 1, 1]] }) });
    expect(predict.status).toBe(200);
    expect(logged.length).toBeGreaterThan(0);
  });
});
