import type { Engine } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../../packages/server/src/http/index.js';
import { AUDIENCE, createSigner, ISSUER, type Signer } from '../../packages/server/test/http/fixtures.js';
import { deepBody, heavyRowsBody, rawRequest } from '../../packages/server/test/http/raw-http.js';
import { createWideEngine, wideRows } from './http-support.js';

/** Every route that reads a body, with the scope that lets a request reach the body. */
const BODY_ROUTES: readonly (readonly [method: string, path: string, key: string])[] = [
  ['POST', '/v1/predict', 'rows'],
  ['POST', '/v1/feedback', 'items'],
  ['PUT', '/v1/policy', 'dTarget'],
  ['POST', '/v1/models/digits/promote', 'version'],
  ['POST', '/v1/models/digits/rollback', 'to'],
];

/**
 * Issue 20, items 1 and 3: oversize and deeply nested bodies, sent concurrently by authenticated principals
 * (a token with every scope), declared or chunked, on every route that reads a body. Each gets a typed 4xx
 * and the process keeps running: the double close of the body stream used to end it.
 */
describe('adversarial HTTP: concurrent oversize and deep bodies under auth', () => {
  let signer: Signer;
  let engine: Engine;
  let server: RunningServer;
  let token: string;
  const logged: unknown[] = [];

  beforeAll(async () => {
    signer = await createSigner();
    engine = await createWideEngine();
    server = await serve({
      engine,
      auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
      port: 0,
      retrainEvery: 0,
      // Limits of requests and bytes out of the way: this is about what a body does, not how often it comes.
      rateLimit: { burst: 1_000_000, perSecond: 1_000_000, byteBurst: 1e12, bytesPerSecond: 1e12 },
      onError: (error) => logged.push(error),
    });
    token = await signer.sign({ sub: 'attacker', scope: 'predict feedback admin' });
  });
  afterAll(async () => {
    await server.close();
    await engine.stop();
  });

  const headers = (): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  });
  const healthy = async (): Promise<void> => {
    const response = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ rows: wideRows(2) }),
    });
    expect(response.status).toBe(200);
  };

  it('2 MiB bodies (declared and chunked) from 8 looping clients on every body route: 413, the process keeps running', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < BODY_ROUTES.length; i++) {
          const [method, path] = BODY_ROUTES[(c + i) % BODY_ROUTES.length]!;
          const r = await rawRequest(server.url, path, {
            method,
            headers: headers(),
            body,
            ...(c % 2 === 0 ? {} : { chunked: 64 * 1024 }),
          });
          statuses.push(r.status);
        }
      }),
    );
    // 0: the server closed the connection under an upload it had already refused (chunked, past the drain).
    expect(statuses.every((s) => s === 413 || s === 0)).toBe(true);
    expect(statuses.filter((s) => s === 413).length).toBeGreaterThan(statuses.length / 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await healthy();
  });

  it('bodies nested 400 000 deep, concurrently on every body route: 400 E_JSON_TOO_DEEP, or 413 where the size is refused first', async () => {
    const results = await Promise.all(
      BODY_ROUTES.flatMap(([method, path, key]) =>
        [deepBody(400_000, key), Buffer.from(`{"${key}":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`)].flatMap(
          (body) => [
            rawRequest(server.url, path, { method, headers: headers(), body, chunked: 32 * 1024 }).then((r) => ({
              path,
              r,
              chunked: true,
            })),
            rawRequest(server.url, path, { method, headers: headers(), body }).then((r) => ({
              path,
              r,
              chunked: false,
            })),
          ],
        ),
      ),
    );
    for (const { path, r, chunked } of results) {
      if (chunked && (path === '/v1/predict' || path === '/v1/feedback')) {
        // Within their byte limit for the first chunks: the nesting limit refuses them at the first chunk.
        expect(r.status, path).toBe(400);
        expect(JSON.parse(r.body), path).toMatchObject({ error: { code: 'E_JSON_TOO_DEEP' } });
      } else {
        expect([400, 413], path).toContain(r.status);
        expect(['E_JSON_TOO_DEEP', 'E_PAYLOAD_TOO_LARGE'], path).toContain(
          (JSON.parse(r.body) as { error: { code: string } }).error.code,
        );
      }
    }
    await healthy();
  });

  it('heavy wrong-width bodies just under the limits are a 400 naming the row, and the process keeps running', async () => {
    const rows = await Promise.all(
      Array.from({ length: 8 }, () =>
        rawRequest(server.url, '/v1/predict', { headers: headers(), body: heavyRowsBody(600_000) }),
      ),
    );
    for (const r of rows) {
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({
        error: { code: 'E_INPUT', message: expect.stringContaining('rows.0: expected 64 values') },
      });
    }
    await healthy();
  });

  it('no request reached the unexpected-error log', () => {
    expect(logged).toEqual([]);
  });
});
