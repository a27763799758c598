import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  MemoryStore,
  PoisoningGuard,
  type EngineConfig,
} from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_PREDICT_OUTPUTS, type ServeOptions } from '../../src/index.js';
import { VerifiedArtifacts } from '../../src/http/verified-artifacts.js';
import { createSigner, createTestEngine, startTestServer, WIDTH, type Signer } from './fixtures.js';

/** What one request costs the server, beyond its own bytes (the audit of session 17). */
describe('HTTP costs a request can cause', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let user: string;

  beforeAll(async () => {
    signer = await createSigner();
    ctx = await startTestServer(signer, {
      engine: await createTestEngine(),
      guard: new PoisoningGuard({ untrustedItemsPerHour: 5 }),
      retrainEvery: 0,
    });
    user = await signer.sign({ sub: 'browser-1', scope: 'predict feedback' });
  });
  afterAll(async () => ctx.close());

  const url = (path: string): string => `${ctx.server.url}${path}`;
  const auth = (extra: Record<string, string> = {}): RequestInit => ({
    headers: { authorization: `Bearer ${user}`, ...extra },
  });

  it('artifact downloads read and check the stored bytes once, stream them, and answer If-None-Match with 304', async () => {
    const fetchSpy = vi.spyOn(ctx.engine.registry, 'fetch');
    const path = '/v1/models/toy/versions/1/model.onnx';
    const first = await fetch(url(path), auth());
    const bytes = new Uint8Array(await first.arrayBuffer());
    expect(first.status).toBe(200);
    expect(first.headers.get('content-length')).toBe(String(bytes.byteLength));
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${first.headers.get('x-dissonance-sha256')}"`);
    const again = await Promise.all(
      [1, 2, 3].map(async () => new Uint8Array(await (await fetch(url(path), auth())).arrayBuffer())),
    );
    for (const copy of again) expect(copy).toEqual(bytes);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const cached = await fetch(url(path), auth({ 'if-none-match': `W/"other", ${etag}` }));
    expect(cached.status).toBe(304);
    expect((await cached.arrayBuffer()).byteLength).toBe(0);
    expect(cached.headers.get('etag')).toBe(etag);
    expect((await fetch(url(path), auth({ 'if-none-match': '"other"' }))).status).toBe(200);
    fetchSpy.mockRestore();
  });

  it('a connection that moves no byte for as long as a request may take is closed (a reader that stalls)', () => {
    expect(ctx.server.server.timeout).toBeGreaterThan(0);
    expect(ctx.server.server.timeout).toBe(ctx.server.server.requestTimeout);
  });

  it('feedback of more new items than the principal may ever send at once is a 400, not a 429 to wait out', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({ id: `many-${i}`, features: [0, 0, 0, 1], label: 1 }));
    const response = await fetch(url('/v1/feedback'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user}` },
      body: JSON.stringify({ items }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('retry-after')).toBeNull();
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('E_INPUT');
    expect(body.error.message).toMatch(
      /^feedback of 6 new items is more than principal "browser-1" may send at once \(5\)/,
    );
  });

  it('error messages do not repeat the code', async () => {
    const response = await fetch(url('/v1/models/toy/versions/77/model.onnx'), auth());
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.message).not.toMatch(/^E_[A-Z_]+: /);
  });
});

describe('predict replies are bounded by rows × classes', () => {
  const CLASSES = 256;
  const wide = new FunctionModel({
    name: 'wide',
    inputWidth: WIDTH,
    classes: CLASSES,
    run: (_x, rows) => new Float32Array(rows * CLASSES).fill(1 / CLASSES),
  });
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let user: string;

  beforeAll(async () => {
    const signer = await createSigner();
    const engine = createEngine({
      modelName: 'wide',
      proposer: wide,
      critics: [wide],
      registry: new MemoryRegistry(),
      store: new MemoryStore(),
    });
    await engine.ready();
    ctx = await startTestServer(signer, { engine });
    user = await signer.sign({ sub: 'browser-1', scope: 'predict' });
  });
  afterAll(async () => ctx.close());

  const predict = (rows: number): Promise<Response> =>
    fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user}` },
      body: JSON.stringify({ rows: Array.from({ length: rows }, () => [1, 2, 3, 4]) }),
    });

  it(`answers up to ${MAX_PREDICT_OUTPUTS} output values, and a 413 naming the most rows beyond`, async () => {
    const most = MAX_PREDICT_OUTPUTS / CLASSES;
    const ok = await predict(most);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { probabilities: number[][] }).probabilities).toHaveLength(most);
    const accepted = ctx.engine.counters.accepted;
    const over = await predict(most + 1);
    expect(over.status).toBe(413);
    expect(over.headers.get('x-dissonance-max-rows')).toBe(String(most));
    const { error } = (await over.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('E_PAYLOAD_TOO_LARGE');
    expect(error.message).toContain(`send at most ${most} rows`);
    expect(ctx.engine.counters.accepted).toBe(accepted);
  });
});

describe('VerifiedArtifacts keeps at most its byte budget of artifacts', () => {
  it('evicts the least recently used, and reads a changed version again', async () => {
    const registry = new MemoryRegistry();
    const put = (n: number) =>
      registry.register({
        name: 'm',
        artifact: { format: 'json', bytes: new Uint8Array(100).fill(n) },
        inputWidth: 1,
        classes: 2,
      });
    await put(1);
    await put(2);
    await put(3);
    const fetchSpy = vi.spyOn(registry, 'fetch');
    const artifacts = new VerifiedArtifacts(registry, undefined, 250);
    await artifacts.fetch('m', '1');
    await artifacts.fetch('m', '2');
    await artifacts.fetch('m', '1'); // kept; 1 is now the most recent
    expect(fetchSpy).toHaveBeenCalledTimes(2);
    await artifacts.fetch('m', '3'); // 300 bytes held: 2 goes
    await artifacts.fetch('m', '1');
    expect(fetchSpy).toHaveBeenCalledTimes(3);
    await artifacts.fetch('m', '2');
    expect(fetchSpy).toHaveBeenCalledTimes(4);
    // Downloads that miss together share one read, and the count of kept bytes stays right.
    const slow = {
      get: registry.get.bind(registry),
      fetch: async (name: string, version: string) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return registry.fetch(name, version);
      },
    };
    const slowFetch = vi.spyOn(slow, 'fetch');
    const shared = new VerifiedArtifacts(slow, undefined, 250);
    const copies = await Promise.all(Array.from({ length: 16 }, () => shared.fetch('m', '1')));
    expect(slowFetch).toHaveBeenCalledTimes(1);
    for (const { artifact } of copies) expect(artifact.bytes).toEqual(new Uint8Array(100).fill(1));
    await shared.fetch('m', '2');
    await shared.fetch('m', '2');
    await shared.fetch('m', '1');
    expect(slowFetch).toHaveBeenCalledTimes(2);
    const none = new VerifiedArtifacts(registry, undefined, 0);
    await none.fetch('m', '1');
    await none.fetch('m', '1');
    expect(fetchSpy).toHaveBeenCalledTimes(8); // 4 above, 2 through the slow registry, 2 here
  });
});

describe('close() lets requests in flight finish', () => {
  /** A model that takes `ms` per batch. */
  const slow = (name: string, ms: number): FunctionModel =>
    new FunctionModel({
      name,
      inputWidth: WIDTH,
      classes: 2,
      run: async (_x, rows) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return new Float32Array(rows * 2).fill(0.5);
      },
    });

  const start = async (
    queue: Pick<EngineConfig, 'concurrency' | 'maxQueue' | 'overload'> = {},
    server: Partial<ServeOptions> = {},
  ): Promise<{ ctx: Awaited<ReturnType<typeof startTestServer>>; token: string }> => {
    const signer = await createSigner();
    const engine = createEngine({
      modelName: 'slow',
      proposer: slow('slow', 300),
      critics: [slow('critic', 300)],
      registry: new MemoryRegistry(),
      store: new MemoryStore(),
      ...queue,
    });
    await engine.ready();
    const ctx = await startTestServer(signer, { engine, ...server });
    return { ctx, token: await signer.sign({ sub: 'client', scope: 'predict' }) };
  };
  const predict = (ctx: Awaited<ReturnType<typeof startTestServer>>, token: string): Promise<number> =>
    fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ rows: [[1, 2, 3, 4]] }),
    }).then(
      (r) => r.status,
      () => 0,
    );

  it('answers a request in flight, refuses new connections, then resolves', async () => {
    const { ctx, token } = await start();
    const inFlight = predict(ctx, token);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = ctx.server.close();
    expect(await predict(ctx, token)).toBe(0); // no longer accepting
    expect(await inFlight).toBe(200);
    await closed;
    await ctx.engine.stop();
  });

  it('a request answered 503 E_TIMEOUT while its batch waits for room spends no model time', async () => {
    const { ctx, token } = await start({ concurrency: 1, maxQueue: 1, overload: 'wait' }, { requestTimeoutMs: 150 });
    const engine = ctx.engine;
    const statuses = await Promise.all([0, 1, 2].map(() => predict(ctx, token)));
    expect(statuses).toEqual([503, 503, 503]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    // The first ran and the second was queued (accepted: each runs and is reconciled); the third gave up.
    expect(engine.counters.accepted).toBe(2);
    expect(engine.counters.processed).toBe(2);
    await ctx.close();
  });

  it('with graceMs 0, cuts it', async () => {
    const { ctx, token } = await start();
    const inFlight = predict(ctx, token);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await ctx.server.close({ graceMs: 0 });
    expect(await inFlight).toBe(0);
    await ctx.engine.stop();
  });

  it('with graceMs Infinity, waits as long as it takes (a timer would fire at once)', async () => {
    const { ctx, token } = await start();
    const inFlight = predict(ctx, token);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await ctx.server.close({ graceMs: Number.POSITIVE_INFINITY });
    expect(await inFlight).toBe(200);
    await ctx.engine.stop();
  });
});
