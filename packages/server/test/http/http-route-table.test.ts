import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@dissonance/core';
import { createHttpHandler, type HttpHandler } from '../../src/http/index.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { ROUTE_TABLE, type RouteSpec } from '../../src/http/route-table.js';
import { AUDIENCE, createSigner, createTestEngine, ISSUER, type Signer } from './fixtures.js';

type Operation = {
  summary: string;
  security: unknown[];
  'x-scope'?: string;
  requestBody?: unknown;
  parameters?: { name: string }[];
};
type Doc = { paths: Record<string, Record<string, Operation>> };

const ROUTES = ROUTE_TABLE as readonly RouteSpec[];
const BODIES: Partial<Record<string, unknown>> = {
  predict: { rows: [[1, 2, 3, 4]] },
  feedback: { items: [{ id: 'route-table-1', features: [1, 2, 3, 4], label: 1 }] },
  putPolicy: {},
  promote: { version: '1' },
  rollback: {},
};

/** Answers other than 200 that still come from the route's handler (the test engine has one champion only). */
const HANDLER_ANSWERS: Partial<Record<string, readonly [number, string]>> = { rollback: [404, 'no earlier champion'] };

/** A concrete URL path for a table path: the served model `toy`, version `1`. */
const concrete = (path: string): string => path.replace('{name}', 'toy').replace('{version}', '1');

describe('the route table drives the router and the OpenAPI document', () => {
  let engine: Engine;
  let signer: Signer;
  let handler: HttpHandler;
  let doc: Doc;

  beforeAll(async () => {
    engine = await createTestEngine();
    signer = await createSigner();
    handler = createHttpHandler({
      engine,
      auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
      rateLimit: false,
    });
    doc = (await (await handler(new Request('http://x/openapi.json'))).json()) as Doc;
  });
  afterAll(async () => {
    await handler.close();
    await engine.stop();
  });

  it('the served document is the generated one', () => {
    const { version } = (doc as unknown as { info: { version: string } }).info;
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument(version))));
  });

  it('every table entry is in the OpenAPI document with its scope, summary, parameters and body, and nothing else is', () => {
    for (const route of ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation!.summary).toBe(route.summary);
      expect(operation!['x-scope']).toBe(route.scope);
      expect(operation!.security).toEqual(route.scope === undefined ? [] : [{ bearer: [route.scope] }]);
      expect(operation!.requestBody !== undefined, route.id).toBe(route.body !== undefined);
      expect((operation!.parameters ?? []).map((p) => p.name)).toEqual(
        [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
      );
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('every table entry is reachable, and its scope is enforced', async () => {
    const all = await signer.sign({ scope: 'predict feedback admin' });
    const none = await signer.sign({ scope: 'nothing' });
    for (const route of ROUTES) {
      const request = (token: string): Request => {
        const body = BODIES[route.id];
        return new Request(`http://x${concrete(route.path)}`, {
          method: route.method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      };
      const response = await handler(request(all));
      const [status, message] = HANDLER_ANSWERS[route.id] ?? [200, ''];
      expect(response.status, `${route.method} ${route.path}: ${await response.clone().text()}`).toBe(status);
      if (status !== 200)
        expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
      if (route.scope !== undefined) {
        const denied = await handler(request(none));
        expect(denied.status, route.id).toBe(403);
        expect(((await denied.json()) as { error: { message: string } }).error.message).toContain(`"${route.scope}"`);
        expect(
          (await handler(new Request(`http://x${concrete(route.path)}`, { method: route.method }))).status,
          route.id,
        ).toBe(401);
      }
    }
  });

  it('another method on a table path is a 405 naming the table methods; HEAD answers like GET', async () => {
    const byPath = new Map<string, string[]>();
    for (const route of ROUTES) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
    for (const [path, methods] of byPath) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].filter((m) => !methods.includes(m))) {
        const response = await handler(new Request(`http://x${concrete(path)}`, { method }));
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get('allow')).toBe(methods.join(', '));
        expect(await response.json()).toEqual({
          error: { code: 'E_METHOD', message: `${method} not allowed; use ${methods.join(' or ')}` },
        });
      }
    }
    expect((await handler(new Request('http://x/healthz', { method: 'HEAD' }))).status).toBe(200);
    expect((await handler(new Request('http://x/v1/predict', { method: 'HEAD' }))).status).toBe(405);
  });

  it('paths outside the table are a 404 E_ROUTE_NOT_FOUND', async () => {
    for (const path of [
      '/v2/nothing',
      '/v1/predict/',
      '/v1',
      '/',
      '/v1/models',
      '/v1/models/toy/versions/1',
      '/openapi.json/x',
    ]) {
      const response = await handler(new Request(`http://x${path}`, { method: 'POST' }));
      expect(response.status, path).toBe(404);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        error: { code: 'E_ROUTE_NOT_FOUND', message: `no route for POST ${path}` },
      });
    }
  });
});
