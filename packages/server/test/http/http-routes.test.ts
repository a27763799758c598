import { request as httpRequest } from 'node:http';
import { PoisoningGuard } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, createTestEngine, noStack, startTestServer, sumModel, WIDTH, type Signer } from './fixtures.js';

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
  body: JSON.stringify(body),
});

describe('HTTP routes over real HTTP', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let user: string;
  let admin: string;
  let trusted: string;

  beforeAll(async () => {
    signer = await createSigner();
    const critic = sumModel('critic', '0', 2);
    ctx = await startTestServer(signer, {
      engine: await createTestEngine(critic),
      guard: new PoisoningGuard({ trusted: ['operator'] }),
      cors: { origins: ['http://localhost:5173'] },
      retrainEvery: 0,
    });
    user = await signer.sign({ sub: 'browser-1', scope: 'predict feedback' });
    admin = await signer.sign({ sub: 'ops-admin', scope: 'admin predict' });
    trusted = await signer.sign({ sub: 'operator', scope: 'feedback' });
  });
  afterAll(async () => ctx.close());

  const url = (path: string): string => `${ctx.server.url}${path}`;

  it('predict returns the model, probabilities and dissonance per row', async () => {
    const response = await fetch(
      url('/v1/predict'),
      json(
        {
          rows: [
            [1, 1, 1, 1],
            [-1, -1, -1, -1],
          ],
        },
        user,
      ),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      model: { name: string; version: string };
      probabilities: number[][];
      dissonance: number[];
    };
    expect(body.model).toEqual({ name: 'toy', version: '1' });
    expect(body.probabilities).toHaveLength(2);
    expect(body.probabilities[0]![1]).toBeGreaterThan(0.9);
    expect(body.probabilities[1]![0]).toBeGreaterThan(0.9);
    expect(body.dissonance).toHaveLength(2);
    expect(body.dissonance[0]).toBeGreaterThan(0);
  });

  it('predict refuses ragged and wrong-width rows with 400', async () => {
    for (const rows of [
      [
        [1, 1, 1, 1],
        [1, 1],
      ],
      [[1, 2, 3]],
    ]) {
      const response = await fetch(url('/v1/predict'), json({ rows }, user));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_INPUT');
    }
  });

  it('feedback is idempotent by item id: a re-sent id is a duplicate and stored once', async () => {
    const before = await ctx.engine.store.countExamples();
    const items = [
      { id: 'a1', features: [0.1, 0.2, 0, 0], label: 1 },
      { id: 'a2', features: [-0.1, 0, 0, 0], label: 0 },
      { id: 'a2', features: [-0.1, 0, 0, 0], label: 0 },
    ];
    const first = await (await fetch(url('/v1/feedback'), json({ items }, user))).json();
    expect(first).toEqual({ accepted: 2, duplicates: 1, quarantined: 0 });
    const again = await (await fetch(url('/v1/feedback'), json({ items }, user))).json();
    expect(again).toEqual({ accepted: 0, duplicates: 3, quarantined: 0 });
    const examples = await ctx.engine.store.examples();
    expect(examples.length - before).toBe(2);
    expect(
      examples
        .filter((e) => e.provenance.origin === 'feedback')
        .map((e) => e.provenance.itemId)
        .sort(),
    ).toEqual(['a1', 'a2']);
  });

  it('a label both models contradict with confidence is quarantined for untrusted principals, not for trusted ones', async () => {
    const item = { id: 'q1', features: [5, 5, 5, 5], label: 0 };
    expect(await (await fetch(url('/v1/feedback'), json({ items: [item] }, user))).json()).toEqual({
      accepted: 0,
      duplicates: 0,
      quarantined: 1,
    });
    expect(await (await fetch(url('/v1/feedback'), json({ items: [item] }, trusted))).json()).toEqual({
      accepted: 1,
      duplicates: 0,
      quarantined: 0,
    });
    const review = (await (
      await fetch(url('/v1/feedback/quarantine'), { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as {
      items: { id: string; principal: string; label: number }[];
    };
    expect(review.items).toEqual([expect.objectContaining({ id: 'q1', principal: 'browser-1', label: 0 })]);
    const ids = (await ctx.engine.store.examples()).map((e) => e.id);
    expect(ids.some((id) => id.includes('browser-1') && id.endsWith('/q1'))).toBe(false);
    expect(ids.some((id) => id.startsWith('feedback/trusted/operator/') && id.endsWith('/q1'))).toBe(true);
  });

  it('feedback with a label outside the classes or the wrong width is a 400 and stores nothing', async () => {
    const before = await ctx.engine.store.countExamples();
    for (const items of [
      [{ id: 'x1', features: [0, 0, 0, 0], label: 2 }],
      [{ id: 'x2', features: [0, 0], label: 1 }],
      [{ id: 'x3', features: [0, 0, 0, 0], label: 0.5 }],
    ]) {
      const response = await fetch(url('/v1/feedback'), json({ items }, user));
      expect(response.status).toBe(400);
    }
    expect(await ctx.engine.store.countExamples()).toBe(before);
  });

  it('GET /v1/models/{name} and the artifact route serve the champion and its sha256', async () => {
    const model = (await (
      await fetch(url('/v1/models/toy'), { headers: { authorization: `Bearer ${user}` } })
    ).json()) as {
      name: string;
      champion: { version: string; sha256: string; artifactUrl: string; manifest: { version: string } };
    };
    expect(model.name).toBe('toy');
    expect(model.champion.manifest.version).toBe(model.champion.version);
    const artifact = await fetch(url(model.champion.artifactUrl), { headers: { authorization: `Bearer ${user}` } });
    expect(artifact.status).toBe(200);
    expect(artifact.headers.get('x-dissonance-sha256')).toBe(model.champion.sha256);
    const bytes = new Uint8Array(await artifact.arrayBuffer());
    const digest = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
    expect(digest).toBe(model.champion.sha256);
    expect((await fetch(url('/v1/models/other'), { headers: { authorization: `Bearer ${user}` } })).status).toBe(404);
    expect(
      (await fetch(url('/v1/models/toy/versions/99/model.onnx'), { headers: { authorization: `Bearer ${user}` } }))
        .status,
    ).toBe(404);
  });

  it('CORS: an allowed origin gets a preflight answer and headers, another does not', async () => {
    const pre = await fetch(url('/v1/predict'), {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const actual = await fetch(url('/healthz'), { headers: { origin: 'http://localhost:5173' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await fetch(url('/v1/predict'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('415 for a non-JSON content type, 400 for bad JSON, 404 and 405 for unknown routes and methods', async () => {
    const form = await fetch(url('/v1/predict'), {
      method: 'POST',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(415);
    const bad = await fetch(url('/v1/predict'), {
      method: 'POST',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: '{"rows":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('E_BAD_JSON');
    expect((await fetch(url('/v2/nothing'))).status).toBe(404);
    const method = await fetch(url('/v1/predict'), { method: 'GET' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
  });

  it('a declared 10 MB body is refused with 413 before it is read', async () => {
    const response = await fetch(url('/v1/predict'), {
      method: 'POST',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: new Uint8Array(10 * 1024 * 1024).fill(32),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_PAYLOAD_TOO_LARGE');
  });

  it('a chunked body is refused with 413 while it streams, long before 10 MB were sent', async () => {
    const { status, sent } = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      const req = httpRequest(url('/v1/predict'), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${user}`,
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        },
      });
      let sent = 0;
      let done = false;
      const chunk = Buffer.alloc(64 * 1024, 32);
      const pump = (): void => {
        while (!done && sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!done) req.end();
      };
      req.on('response', (res) => {
        done = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sent });
        req.destroy();
      });
      req.on('error', (error) => (done ? undefined : reject(error)));
      pump();
    });
    console.log(`413 after ${(sent / 1024 / 1024).toFixed(2)} MB of a 10 MB chunked body had been written`);
    expect(status).toBe(413);
    expect(sent).toBeLessThan(10 * 1024 * 1024);
  });

  it('errors never carry a stack trace', async () => {
    for (const response of [
      await fetch(url('/v1/predict'), json({ rows: 'x' }, user)),
      await fetch(url('/v1/policy'), {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: '{"nope":1}',
      }),
    ]) {
      expect(response.status).toBe(400);
      expect(noStack(await response.text())).toBe(true);
    }
  });
});

describe('HTTP limits', () => {
  let signer: Signer;
  beforeAll(async () => {
    signer = await createSigner();
  });

  it('per-principal rate limit: 429 with Retry-After, other principals unaffected', async () => {
    const ctx = await startTestServer(signer, { rateLimit: { burst: 3, perSecond: 0.01 } });
    try {
      const a = await signer.sign({ sub: 'a', scope: 'predict' });
      const b = await signer.sign({ sub: 'b', scope: 'predict' });
      const body = { rows: [Array.from({ length: WIDTH }, () => 0)] };
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${ctx.server.url}/v1/predict`, json(body, a));
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${ctx.server.url}/v1/predict`, json(body, b))).status).toBe(200);
    } finally {
      await ctx.close();
    }
  });

  it('a body that stalls gets 408; a request not answered in time gets 503', async () => {
    const slow = sumModel('slow-critic');
    const slowCritic = Object.assign(Object.create(slow) as typeof slow, {
      run: async (x: Float32Array, rows: number) => {
        await new Promise((r) => setTimeout(r, 400));
        return slow.run(x, rows);
      },
    });
    const ctx = await startTestServer(signer, {
      engine: await createTestEngine(slowCritic),
      bodyTimeoutMs: 150,
      requestTimeoutMs: 200,
    });
    try {
      const token = await signer.sign({ scope: 'predict' });
      const stalled = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${ctx.server.url}/v1/predict`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': '100' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.write('{"rows":');
      });
      expect(stalled).toBe(408);
      const late = await fetch(`${ctx.server.url}/v1/predict`, json({ rows: [[1, 1, 1, 1]] }, token));
      expect(late.status).toBe(503);
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe('E_TIMEOUT');
      expect(late.headers.get('retry-after')).toBe('1');
    } finally {
      await ctx.close();
    }
  });
});
