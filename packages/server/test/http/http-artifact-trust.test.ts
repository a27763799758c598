import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEngine,
  generateEncryptionKey,
  generateSigningKeyPair,
  MemoryRegistry,
  MemoryStore,
  staticKeyProvider,
  type SigningKeyPair,
  type TrustPolicy,
} from '@dissonance/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileRegistry } from '@dissonance/node';
import { tempDir } from '../../../node/test/files/fixtures/temp-dir.js';
import { createSigner, createTestEngine, startTestServer, sumModel, sumRuntime, type Signer } from './fixtures.js';
import { FORGED, registerForgeries, sumArtifact, type Forgeries } from './forgeries.js';

/** Items 4 and 5 of issue 20: with a trust policy, no route serves or promotes an artifact the policy refuses. */
describe('HTTP: artifacts are verified against the trust policy before they are served or promoted', () => {
  let signer: Signer;
  let pair: SigningKeyPair;
  let trust: TrustPolicy;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let forged: Forgeries;
  let criticForged: Forgeries;
  let admin: string;

  beforeAll(async () => {
    signer = await createSigner();
    pair = await generateSigningKeyPair();
    trust = { keys: [pair.publicKey], formats: ['json'] };
    const registry = new MemoryRegistry();
    const engine = createEngine({
      modelName: 'toy',
      proposer: sumModel('toy'),
      critics: [sumModel('critic', '0', 2)],
      runtime: sumRuntime,
      registry,
      store: new MemoryStore(),
      retrain: { everyExamples: 0 },
      trust,
      signing: { privateKey: pair.privateKey },
    });
    await engine.ready();
    // Registered "by another process": the same registry, written behind the server's back.
    forged = await registerForgeries(registry, 'toy', pair);
    criticForged = await registerForgeries(registry, 'toy-critic', pair);
    ctx = await startTestServer(signer, { engine, trust, published: ['toy-critic'], retrainEvery: 0 });
    admin = await signer.sign({ sub: 'ops-admin', scope: 'admin predict' });
  });
  afterAll(async () => ctx.close());

  const get = (path: string): Promise<Response> =>
    fetch(`${ctx.server.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
  const promote = (version: string): Promise<Response> =>
    fetch(`${ctx.server.url}/v1/models/toy/promote`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version }),
    });

  it('the champion and a version signed by the trusted key download with 200 and their digest', async () => {
    for (const version of [ctx.engine.championVersion, forged.signed]) {
      const response = await get(`/v1/models/toy/versions/${version}/model.onnx`);
      expect(response.status, version).toBe(200);
      expect(response.headers.get('cache-control')).toContain('immutable');
    }
  });

  it.each(FORGED)(
    'the artifact route refuses a %s version with a typed 409, never 200 with immutable cache headers',
    async (kind) => {
      const response = await get(`/v1/models/toy/versions/${forged[kind]}/model.onnx`);
      expect(response.status).toBe(409);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-dissonance-sha256')).toBeNull();
      expect(response.headers.get('etag')).toBeNull();
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('E_ARTIFACT_SIGNATURE');
      expect(body.error.message).toContain(`toy version ${forged[kind]}`);
    },
  );

  it.each(FORGED)(
    'promotion of a %s version is a 409 naming why; the champion stays and nothing is audited',
    async (kind) => {
      const champion = ctx.engine.championVersion;
      const audits = (await ctx.engine.store.audit()).length;
      const response = await promote(forged[kind]);
      expect(response.status).toBe(409);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_ARTIFACT_SIGNATURE');
      expect(ctx.engine.championVersion).toBe(champion);
      expect((await ctx.engine.registry.resolve('toy', 'champion')).version).toBe(champion);
      expect((await ctx.engine.store.audit()).length).toBe(audits);
    },
  );

  it('a published model whose champion alias points at a forged version is not described (409)', async () => {
    const registry = ctx.engine.registry;
    await registry.setAlias('toy-critic', 'champion', criticForged.signed, { expected: null });
    expect((await get('/v1/models/toy-critic')).status).toBe(200);
    for (const kind of FORGED) {
      const current = (await registry.resolve('toy-critic', 'champion')).version;
      await registry.setAlias('toy-critic', 'champion', criticForged[kind], { expected: current });
      const response = await get('/v1/models/toy-critic');
      expect(response.status, kind).toBe(409);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_ARTIFACT_SIGNATURE');
      expect((await get(`/v1/models/toy-critic/versions/${criticForged[kind]}/model.onnx`)).status).toBe(409);
    }
  });

  it('promotion of the signed version succeeds (the policy is not a blanket refusal)', async () => {
    const response = await promote(forged.signed);
    expect(response.status).toBe(200);
    expect(ctx.engine.championVersion).toBe(forged.signed);
  });
});

describe('HTTP: a stored artifact with a flipped byte (item 8)', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });

  it.each([
    ['plain', undefined, 'E_ARTIFACT_DIGEST'],
    ['encrypted', staticKeyProvider([['k1', generateEncryptionKey()]]), 'E_DECRYPT'],
  ] as const)(
    '%s: a typed 409 (%s… on download) without file paths, and the server keeps running',
    async (_, encryption, code) => {
      const dir = await tempDir('http-flipped');
      dirs.push(dir);
      const signer = await createSigner();
      const registry = new FileRegistry({
        root: join(dir.path, 'registry'),
        ...(encryption === undefined ? {} : { encryption }),
      });
      const engine = createEngine({
        modelName: 'toy',
        proposer: sumModel('toy'),
        critics: [sumModel('critic', '0', 2)],
        runtime: sumRuntime,
        registry,
        store: new MemoryStore(),
        retrain: { everyExamples: 0 },
      });
      await engine.ready();
      const version = (await registry.register({ name: 'toy', artifact: sumArtifact(9), inputWidth: 4, classes: 2 }))
        .version;
      const path = join(dir.path, 'registry', 'toy', version, 'model.json');
      const bytes = readFileSync(path);
      const at = bytes.length - 3;
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(path, bytes);
      const ctx = await startTestServer(signer, { engine, retrainEvery: 0 });
      try {
        const token = await signer.sign({ sub: 'browser-1', scope: 'predict' });
        const response = await fetch(`${ctx.server.url}/v1/models/toy/versions/${version}/model.onnx`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(409);
        const text = await response.text();
        expect(JSON.parse(text)).toMatchObject({ error: { code } });
        expect(text).not.toContain(dir.path);
        const ok = await fetch(`${ctx.server.url}/v1/models/toy/versions/${engine.championVersion}/model.onnx`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(ok.status).toBe(200);
      } finally {
        await ctx.close();
      }
    },
  );
});

describe('HTTP: without a trust policy', () => {
  it('unsigned versions are served as before (digest checked only)', async () => {
    const signer = await createSigner();
    const engine = await createTestEngine();
    const version = (
      await engine.registry.register({ name: 'toy', artifact: sumArtifact(4), inputWidth: 4, classes: 2 })
    ).version;
    const ctx = await startTestServer(signer, { engine, retrainEvery: 0 });
    try {
      const token = await signer.sign({ sub: 'browser-1', scope: 'predict' });
      const response = await fetch(`${ctx.server.url}/v1/models/toy/versions/${version}/model.onnx`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await ctx.close();
    }
  });
});
