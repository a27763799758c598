import { isDissonanceError, PoisoningGuard } from '@dissonance/core';
import { createEnvelope, decodeBatch, encodeBatch, envelopeToJson, parseEnvelope } from '@dissonance/core/adapter-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, createTestEngine, startTestServer, sumModel, WIDTH, type Signer } from './fixtures.js';

/** Every route of the surface, with a body where it takes one. */
const ROUTES: readonly (readonly [method: string, path: string])[] = [
  ['POST', '/v1/predict'],
  ['POST', '/v1/feedback'],
  ['GET', '/v1/feedback/quarantine'],
  ['GET', '/v1/policy'],
  ['PUT', '/v1/policy'],
  ['GET', '/v1/audit'],
  ['POST', '/v1/models/toy/promote'],
  ['POST', '/v1/models/toy/rollback'],
  ['GET', '/v1/models/toy'],
  ['GET', '/v1/models/toy/versions/1/model.onnx'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/openapi.json'],
];

/** Numbers that break naive parsers: huge, tiny, float32-overflowing, and non-finite ones spelled as strings. */
const nasty = fc.oneof(
  fc.constantFrom(
    1e308,
    -1e308,
    3.5e38,
    -3.5e38,
    5e-324,
    0,
    -0,
    2 ** 53 + 1,
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    null,
    true,
    '',
  ),
  fc.double(),
  fc.integer(),
);

/** Deeply nested arrays / objects, as text (JSON.stringify of such depth would be slow to build as values). */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, obj]) =>
    obj ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth),
  );

/** Bodies shaped like the real ones, with nasty values in them. */
const shaped = fc.oneof(
  fc.record({ rows: fc.array(fc.array(nasty, { maxLength: 6 }), { maxLength: 4 }) }),
  fc.record({
    rows: fc.array(
      fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: WIDTH, maxLength: WIDTH }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    items: fc.array(
      fc.record({ id: fc.oneof(fc.string(), nasty), features: fc.array(nasty, { maxLength: 6 }), label: nasty }),
      { maxLength: 4 },
    ),
  }),
  fc.record({ version: fc.oneof(fc.string(), nasty), to: fc.oneof(fc.string(), nasty) }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom('maxDissonance', 'klEps', 'dTarget', 'bogus', '__proto__', 'constructor'), nasty),
);

const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  shaped.map((v) => JSON.stringify(v)),
  deep,
  fc.string(),
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('latin1')),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  'application/vnd.api+json',
);

describe('fuzzing the HTTP surface and queue envelopes', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;
  let token: string;
  let cases = 0;

  beforeAll(async () => {
    signer = await createSigner();
    const critic = sumModel('critic', '0', 2);
    ctx = await startTestServer(signer, {
      engine: await createTestEngine(critic),
      guard: new PoisoningGuard({ untrustedItemsPerHour: 1e9 }),
      rateLimit: false,
      retrainEvery: 0,
    });
    token = await signer.sign({ sub: 'fuzzer', scope: 'predict feedback admin' });
  });
  afterAll(async () => {
    await ctx.close();
    console.log(`fuzz: ${cases} cases tried in total`);
  });

  const check = async (response: Response): Promise<void> => {
    const text = await response.text();
    expect(response.status, text).toBeLessThan(500);
    if (response.status >= 400) {
      const parsed = JSON.parse(text) as { error: { code: string; message: string } };
      expect(typeof parsed.error.code).toBe('string');
      expect(text).not.toMatch(/\n\s+at |node:internal|\.ts:\d+/);
    }
  };

  it('random, nasty and deeply nested bodies with any content type on every route: never a 5xx, memory bounded', async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        body,
        contentType,
        fc.boolean(),
        async ([method, path], text, type, authed) => {
          cases++;
          const hasBody = method !== 'GET';
          const response = await fetch(`${ctx.server.url}${path}`, {
            method,
            headers: {
              ...(type === '' ? {} : { 'content-type': type }),
              ...(authed ? { authorization: `Bearer ${token}` } : {}),
            },
            ...(hasBody ? { body: text } : {}),
          });
          await check(response);
          peak = Math.max(peak, process.memoryUsage().rss);
        },
      ),
      { numRuns: 1500, seed: 20261126 },
    );
    const growth = (peak - rssBefore) / 1024 / 1024;
    console.log(
      `fuzz routes: 1500 cases, rss growth ${growth.toFixed(1)} MB (peak ${(peak / 1024 / 1024).toFixed(0)} MB)`,
    );
    expect(growth).toBeLessThan(300);
  }, 300_000);

  it('random paths, escapes and methods: never a 5xx', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('%', '%E0%A4%A', '%ZZ', '..', '%2F', 'toy', 'model.onnx', 'versions', '1', '%00'),
    );
    const path = fc.oneof(
      fc.array(segment, { maxLength: 6 }).map((parts) => `/v1/${parts.join('/')}`),
      fc.tuple(segment, segment).map(([name, version]) => `/v1/models/${name}/versions/${version}/model.onnx`),
      segment.map((name) => `/v1/models/${name}`),
      fc.webPath(),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        async (p, method) => {
          cases++;
          let url: URL;
          try {
            url = new URL(`${ctx.server.url}${p.startsWith('/') ? '' : '/'}${p}`);
          } catch {
            return;
          }
          const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
          if (method === 'HEAD' || method === 'OPTIONS') {
            expect(response.status).toBeLessThan(500);
            return;
          }
          await check(response);
        },
      ),
      { numRuns: 800, seed: 20261126 },
    );
  }, 120_000);

  it('10 MB bodies on every body route: 413, never buffered whole, memory bounded', async () => {
    const big = new Uint8Array(10 * 1024 * 1024).fill(0x5b); // '['
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    for (const [method, path] of ROUTES.filter(([m]) => m !== 'GET')) {
      for (const type of ['application/json', 'text/plain']) {
        cases++;
        const response = await fetch(`${ctx.server.url}${path}`, {
          method,
          headers: { 'content-type': type, authorization: `Bearer ${token}` },
          body: big,
        });
        expect([413, 415]).toContain(response.status);
        await check(response);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    const growth = (peak - rssBefore) / 1024 / 1024;
    console.log(`fuzz 10 MB bodies: rss growth ${growth.toFixed(1)} MB`);
    expect(growth).toBeLessThan(300);
  }, 120_000);

  it('the server still answers correctly after the fuzzing', async () => {
    const response = await fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ rows: [[1, 1, 1, 1]] }),
    });
    expect(response.status).toBe(200);
  });

  it('queue envelopes: parseEnvelope and decodeBatch accept valid ones and throw only E_ENVELOPE on anything else', () => {
    const valid = createEnvelope('batch', encodeBatch({ x: new Float32Array([1, 2, 3, 4]), rows: 1 }, WIDTH));
    const mutated = fc
      .record({ key: fc.constantFrom(...Object.keys(valid), 'extra'), value: fc.oneof(nasty, fc.jsonValue()) })
      .map(({ key, value }) => ({ ...valid, [key]: value }));
    const payloads = fc.oneof(
      fc.jsonValue(),
      fc.record({ rows: nasty, width: nasty, x: fc.oneof(fc.base64String(), nasty) }),
    );
    const deepValue = fc
      .integer({ min: 1, max: 5000 })
      .map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown);
    let runs = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.jsonValue(),
          mutated,
          deepValue,
          fc.string().map((s) => {
            try {
              return JSON.parse(s) as unknown;
            } catch {
              return s;
            }
          }),
        ),
        payloads,
        (value, payload) => {
          runs++;
          for (const fn of [
            () => parseEnvelope(value),
            () => decodeBatch(payload),
            () => decodeBatch((value as { payload?: unknown } | null)?.payload),
          ]) {
            try {
              fn();
            } catch (error) {
              expect(isDissonanceError(error, 'E_ENVELOPE')).toBe(true);
            }
          }
        },
      ),
      { numRuns: 5000, seed: 20261126 },
    );
    const viaJson = parseEnvelope(JSON.parse(envelopeToJson(valid)));
    expect({ ...viaJson, payload: null }).toEqual({ ...valid, payload: null });
    expect(decodeBatch(viaJson.payload)).toEqual(decodeBatch(valid.payload));
    expect(decodeBatch(valid.payload).rows).toBe(1);
    cases += runs;
    console.log(`fuzz envelopes: ${runs} cases`);
    // 5000 CPU-bound cases: a shared machine can take longer than vitest's default 5 s.
  }, 60_000);
});
