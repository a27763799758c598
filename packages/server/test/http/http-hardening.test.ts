import { createEngine, FunctionModel, MemoryRegistry, MemoryStore, type Trainer } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  CLASSES,
  createSigner,
  createTestEngine,
  ISSUER,
  noStack,
  startTestServer,
  sumModel,
  sumRuntime,
  WIDTH,
  type Signer,
} from './fixtures.js';
import { deepBody, heavyRowsBody, rawRequest } from './raw-http.js';

/** Reproductions of issue 20's HTTP findings (items 1, 2, 3 and 8), each answered by a typed 4xx. */
describe('HTTP hardening: the probe reproductions over real HTTP', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let token: string;
  const errors: unknown[] = [];

  beforeAll(async () => {
    signer = await createSigner();
    ctx = await startTestServer(signer, { retrainEvery: 0, onError: (error) => errors.push(error) });
    token = await signer.sign({ sub: 'browser-1', scope: 'predict feedback' });
  });
  afterAll(async () => ctx.close());

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const alive = async (): Promise<void> => {
    const response = await fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ rows: [[1, 1, 1, 1]] }),
    });
    expect(response.status).toBe(200);
  };

  /** Errors thrown outside any handler: in a server process, each one would have ended it. */
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => void crashes.push(error);
  beforeAll(() => void process.on('uncaughtException', onCrash));
  afterAll(() => void process.off('uncaughtException', onCrash));

  it('item 1: 2 MiB bodies with their content-length from 4 looping predict clients get 413 and the process keeps running', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x20);
    body.write('{"rows":[[1,1,1,1]]}');
    const client = async (): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await rawRequest(ctx.server.url, '/v1/predict', { headers: auth(), body })).status);
      return statuses;
    };
    const statuses = (await Promise.all([client(), client(), client(), client()])).flat();
    expect(statuses.filter((s) => s === 413).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 413 || s === 0)).toBe(true);
    // The 'end' of a drained body after the handler cancelled it used to close the stream twice and end the process.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(crashes).toEqual([]);
    await alive();
  });

  it('item 1: the same body sent chunked (no content-length) is cut at the limit and the process keeps running', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const results = await Promise.all(
      [1, 2, 3].map(() => rawRequest(ctx.server.url, '/v1/predict', { headers: auth(), body, chunked: 64 * 1024 })),
    );
    for (const r of results) expect([413, 0]).toContain(r.status);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(crashes).toEqual([]);
    await alive();
  });

  it('item 3: a body nested 400 000 deep is refused with 400 E_JSON_TOO_DEEP before it is parsed', async () => {
    // Chunked, so no declared length lets the size limit refuse it first: the nesting limit does, in the first chunk.
    const r = await rawRequest(ctx.server.url, '/v1/predict', {
      headers: auth(),
      body: deepBody(400_000),
      chunked: 64 * 1024,
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'E_JSON_TOO_DEEP' } });
    const feedback = await rawRequest(ctx.server.url, '/v1/feedback', {
      headers: auth(),
      body: deepBody(200_000, 'items'),
    });
    expect(feedback.status).toBe(400);
    expect(JSON.parse(feedback.body)).toMatchObject({ error: { code: 'E_JSON_TOO_DEEP' } });
    await alive();
  });

  it('item 3: the byte limit of a route derives from its most rows × the model width (413 before reading)', async () => {
    // Width 4: predict may need 1024 + 4096 × (4 × 32 + 4) bytes, far less than the server-wide 1 MiB.
    const r = await rawRequest(ctx.server.url, '/v1/predict', { headers: auth(), body: heavyRowsBody(600_000) });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({
      error: { code: 'E_PAYLOAD_TOO_LARGE', message: expect.stringContaining('541696') },
    });
  });

  it('item 2: features of 3.4e38 (finite float32, overflowing inside the models) are a 400 naming the field', async () => {
    const predict = await fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({
        rows: [
          [1, 1, 1, 1],
          [3.4e38, 3.4e38, 3.4e38, 3.4e38],
        ],
      }),
    });
    expect(predict.status).toBe(400);
    const p = (await predict.json()) as { error: { code: string; message: string } };
    expect(p.error.code).toBe('E_INPUT');
    expect(p.error.message).toContain('rows.1.0');
    const before = await ctx.engine.store.countExamples();
    const items = [{ id: 'overflow-1', features: [3.4e38, 3.4e38, 3.4e38, 3.4e38], label: 1 }];
    const feedback = await fetch(`${ctx.server.url}/v1/feedback`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ items }),
    });
    expect(feedback.status).toBe(400);
    expect(((await feedback.json()) as { error: { message: string } }).error.message).toContain('items.0.features.0');
    expect(await ctx.engine.store.countExamples()).toBe(before);
  });

  it('item 2: values past float32 (1e39), JSON overflow to Infinity (1e400) and NaN are a 400', async () => {
    for (const text of [
      '{"rows":[[1e39,0,0,0]]}',
      '{"rows":[[-1e400,0,0,0]]}',
      '{"rows":[[NaN,0,0,0]]}',
      '{"rows":[[Infinity,0,0,0]]}',
    ]) {
      const r = await rawRequest(ctx.server.url, '/v1/predict', { headers: auth(), body: text });
      expect(r.status, text).toBe(400);
      expect(['E_INPUT', 'E_BAD_JSON']).toContain((JSON.parse(r.body) as { error: { code: string } }).error.code);
    }
  });

  it('item 8: unauthenticated TRACE is a 405, not a 500', async () => {
    for (const path of ['/v1/predict', '/healthz', '/nowhere']) {
      const r = await rawRequest(ctx.server.url, path, { method: 'TRACE' });
      expect(r.status, path).toBe(405);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'E_METHOD' } });
    }
    await alive();
  });

  it('item 8: the bearer scheme is case-insensitive (RFC 9110)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const response = await fetch(`${ctx.server.url}/v1/predict`, {
        method: 'POST',
        headers: { authorization: `${scheme} ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [[1, 1, 1, 1]] }),
      });
      expect(response.status, scheme).toBe(200);
    }
  });

  it('item 8: a token whose exp is in 2286, or whose iat is a day ahead, is a 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const far = await signer.sign({ sub: 'browser-1', scope: 'predict' }, { exp: 9_999_999_999 });
    const future = await signer.sign({ sub: 'browser-1', scope: 'predict' }, { iat: now + 86_400 });
    for (const [what, t] of [
      ['exp in 2286', far],
      ['iat a day ahead', future],
    ] as const) {
      const response = await fetch(`${ctx.server.url}/v1/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [[1, 1, 1, 1]] }),
      });
      expect(response.status, what).toBe(401);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'E_TOKEN_INVALID' } });
      expect(noStack(text)).toBe(true);
    }
  });
});

describe('HTTP hardening: per-principal byte budget, charged before the body is read', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    signer = await createSigner();
    ctx = await startTestServer(signer, {
      retrainEvery: 0,
      maxBodyBytes: 300_000,
      rateLimit: { byteBurst: 300_000, bytesPerSecond: 1_000 },
    });
  });
  afterAll(async () => ctx.close());

  it('heavy bodies spend the sender’s budget (429 before reading), not another principal’s', async () => {
    const heavy = await signer.sign({ sub: 'flooder', scope: 'predict' });
    const good = await signer.sign({ sub: 'good', scope: 'predict' });
    const body = heavyRowsBody(200_000);
    const headers = { authorization: `Bearer ${heavy}`, 'content-type': 'application/json' };
    const first = await rawRequest(ctx.server.url, '/v1/predict', { headers, body });
    expect(first.status).toBe(400);
    const second = await rawRequest(ctx.server.url, '/v1/predict', { headers, body });
    expect(second.status).toBe(429);
    expect(JSON.parse(second.body)).toMatchObject({
      error: { code: 'E_RATE_LIMITED', message: expect.stringContaining('byte budget') },
    });
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    const chunked = await rawRequest(ctx.server.url, '/v1/predict', { headers, body, chunked: 16 * 1024 });
    expect([429, 0]).toContain(chunked.status);
    const other = await fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${good}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [[1, 1, 1, 1]] }),
    });
    expect(other.status).toBe(200);
  });
});

describe('HTTP hardening: non-finite model outputs and engine errors', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let token: string;
  const logged: unknown[] = [];

  /** A model whose outputs are NaN for rows whose first feature is 7 (a model that overflows on some input). */
  const nanModel = (name: string): FunctionModel =>
    new FunctionModel({
      name,
      version: '0',
      inputWidth: WIDTH,
      classes: CLASSES,
      artifact: { format: 'json', bytes: new TextEncoder().encode(JSON.stringify({ kind: 'sum', sharpness: 1 })) },
      run: async (x, rows) => {
        const out = await sumModel(name).run(x, rows);
        for (let r = 0; r < rows; r++) if (x[r * WIDTH] === 7) out.fill(Number.NaN, r * CLASSES, (r + 1) * CLASSES);
        return out;
      },
    });
  const refusingTrainer: Trainer = {
    name: 'refusing',
    fit: async () => {
      throw new Error('the trainer refuses the batch: non-finite loss');
    },
  };

  beforeAll(async () => {
    signer = await createSigner();
    const engine = createEngine({
      modelName: 'toy',
      proposer: nanModel('toy'),
      critics: [sumModel('critic', '0', 2)],
      runtime: sumRuntime,
      trainer: refusingTrainer,
      registry: new MemoryRegistry(),
      store: new MemoryStore(),
      retrain: { everyExamples: 0, minExamples: 1 },
    });
    await engine.ready();
    ctx = await startTestServer(signer, { engine, retrainEvery: 1, onError: (error) => logged.push(error) });
    token = await signer.sign({ sub: 'browser-1', scope: 'predict feedback' });
  });
  afterAll(async () => ctx.close());

  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${ctx.server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('item 2: a retrain that fails reaches the server log and fails /readyz (loop.retrain) instead of staying silent', async () => {
    const before = await fetch(`${ctx.server.url}/readyz`);
    expect(((await before.json()) as { failing: { name: string }[] }).failing.map((f) => f.name)).not.toContain(
      'loop.retrain',
    );
    const errored = new Promise<void>((resolve) => ctx.engine.once('error', () => resolve()));
    const response = await post('/v1/feedback', { items: [{ id: 'fb-1', features: [1, 2, 3, 4], label: 1 }] });
    expect(response.status).toBe(200);
    await errored;
    await ctx.server.handler.settled();
    expect(logged.some((e) => e instanceof Error && /refuses the batch/.test(e.message))).toBe(true);
    const ready = await fetch(`${ctx.server.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { failing: { name: string; error: string }[] };
    expect(body.failing).toContainEqual({ name: 'loop.retrain', error: expect.stringContaining('refuses the batch') });
  });
  it('item 2: /v1/predict never answers null: rows with non-finite outputs are a typed 4xx naming them', async () => {
    const ok = await post('/v1/predict', { rows: [[1, 1, 1, 1]] });
    expect(ok.status).toBe(200);
    const response = await post('/v1/predict', {
      rows: [
        [1, 1, 1, 1],
        [7, 0, 0, 0],
        [2, 2, 2, 2],
        [7, 1, 1, 1],
      ],
    });
    const text = await response.text();
    expect(text).not.toContain('null');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(/rows? 1, 3/);
  });
});

describe('HTTP hardening: auth options', () => {
  it('the token lifetime bound is configurable and validated', async () => {
    const { createJwtAuth } = await import('../../src/http/jwt-auth.js');
    const signer = await createSigner();
    expect(() =>
      createJwtAuth({ issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey, maxTokenLifetimeSec: 0 }),
    ).toThrow(/maxTokenLifetimeSec/);
    const auth = createJwtAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      key: signer.publicKey,
      maxTokenLifetimeSec: 400 * 86_400,
    });
    const yearly = await signer.sign({ sub: 'svc', scope: 'predict' }, { exp: '365d' });
    await expect(
      auth(new Request('http://x/', { headers: { authorization: `Bearer ${yearly}` } })),
    ).resolves.toMatchObject({ id: 'svc' });
    const engine = await createTestEngine();
    await engine.stop();
  });
});

describe('HTTP hardening: the byte budget', () => {
  it('charges bodies before they are read, and a refused body puts its sender into debt', async () => {
    const { RateLimiter } = await import('../../src/http/rate-limiter.js');
    let now = 0;
    const limiter = new RateLimiter({ byteBurst: 1000, bytesPerSecond: 100 }, () => now);
    expect(limiter.takeBytes('a', 600)).toBe(0);
    expect(limiter.takeBytes('a', 600)).toBe(2); // 200 short at 100 B/s
    limiter.penalize('a', 3 * 400);
    expect(limiter.takeBytes('b', 1000)).toBe(0); // another principal's budget is its own
    now = 9_000; // 400 − 1200 = −800, +900 after 9 s → 100
    expect(limiter.takeBytes('a', 100)).toBe(0);
    expect(limiter.takeBytes('a', 1)).toBeGreaterThan(0);
  });
});
