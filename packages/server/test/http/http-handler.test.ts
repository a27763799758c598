import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler } from '../../src/http/index.js';
import { AUDIENCE, createSigner, createTestEngine, ISSUER } from './fixtures.js';

describe('createHttpHandler as a plain Fetch-API handler', () => {
  let handler: HttpHandler;
  let stop: () => Promise<unknown>;

  beforeAll(async () => {
    const engine = await createTestEngine();
    const signer = await createSigner();
    handler = createHttpHandler({ engine, auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey } });
    stop = () => engine.stop();
  });
  afterAll(async () => stop());

  it('answers Request objects directly, with no server', async () => {
    const response = await handler(new Request('http://any.host/healthz'));
    expect(response.status).toBe(200);
    const denied = await handler(new Request('http://any.host/v1/policy'));
    expect(denied.status).toBe(401);
  });

  it('serves an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const doc = (await (await handler(new Request('http://x/openapi.json'))).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<
                string,
                { schema: { properties?: Record<string, unknown>; additionalProperties?: unknown } }
              >;
            };
            security?: unknown[];
          }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/predict',
      '/v1/feedback',
      '/v1/policy',
      '/v1/models/{name}',
      '/v1/models/{name}/versions/{version}/model.onnx',
      '/v1/models/{name}/promote',
      '/v1/models/{name}/rollback',
      '/healthz',
      '/readyz',
      '/openapi.json',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const predict = doc.paths['/v1/predict']!['post']!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(predict.properties ?? {})).toEqual(['rows']);
    expect(predict.additionalProperties).toBe(false);
    expect(doc.paths['/healthz']!['get']!.security).toEqual([]);
  });
});

describe('keys from a JWKS URL', () => {
  it('verifies tokens with keys fetched from the URL and refuses unknown kids', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' };
    const jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const engine = await createTestEngine();
    try {
      const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
      const handler = createHttpHandler({ engine, auth: { issuer: ISSUER, audience: AUDIENCE, jwksUrl } });
      const sign = (kid: string): Promise<string> =>
        new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'EdDSA', kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('ops')
          .setExpirationTime('5m')
          .sign(privateKey);
      const get = async (token: string): Promise<Response> =>
        handler(new Request('http://x/v1/policy', { headers: { authorization: `Bearer ${token}` } }));
      expect((await get(await sign('k1'))).status).toBe(200);
      const unknown = await get(await sign('k2'));
      expect(unknown.status).toBe(401);
      expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('E_TOKEN_INVALID');
    } finally {
      jwksServer.close();
      await engine.stop();
    }
  });
});
