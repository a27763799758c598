import type { Engine } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../../packages/server/src/http/index.js';
import { AUDIENCE, createSigner, ISSUER, type Signer } from '../../packages/server/test/http/fixtures.js';
import { rawRequest } from '../../packages/server/test/http/raw-http.js';
import { createWideEngine, WIDE } from './http-support.js';

/**
 * JSON spellings of numbers that are not finite, or overflow float32, or are finite in float32 but overflow
 * inside the models (3.4e38 in every feature, the probe's item 2), or not numbers at all where one is due.
 */
const NASTY: readonly string[] = [
  '3.4028235e38',
  '1e39',
  '-1e39',
  '1e308',
  '1e400',
  '-1e400',
  'NaN',
  'Infinity',
  '-Infinity',
  '"1e3"',
  'null',
];

/** Finite float32 values that overflow inside the models: refused as features (beyond ±1e15), fine as a policy bound. */
const OVERFLOWING_FEATURES: readonly string[] = ['3.4e38', '-3.4e38', '1e16'];

/** Every route and field that takes a number, as a body template: `$` is replaced by the nasty value. */
const NUMERIC: readonly (readonly [what: string, method: string, path: string, template: (v: string) => string])[] = [
  ['predict rows (every feature)', 'POST', '/v1/predict', (v) => `{"rows":[[${Array(WIDE).fill(v).join(',')}]]}`],
  [
    'predict rows (one feature of row 1)',
    'POST',
    '/v1/predict',
    (v) => `{"rows":[[${Array(WIDE).fill(1).join(',')}],[${[v, ...Array(WIDE - 1).fill(1)].join(',')}]]}`,
  ],
  [
    'feedback features (every feature)',
    'POST',
    '/v1/feedback',
    (v) => `{"items":[{"id":"x-${Math.random()}","features":[${Array(WIDE).fill(v).join(',')}],"label":1}]}`,
  ],
  [
    'feedback label',
    'POST',
    '/v1/feedback',
    (v) => `{"items":[{"id":"y-${Math.random()}","features":[${Array(WIDE).fill(1).join(',')}],"label":${v}}]}`,
  ],
  ['policy value', 'PUT', '/v1/policy', (v) => `{"maxDissonance":${v}}`],
  ['policy value (another key)', 'PUT', '/v1/policy', (v) => `{"dTarget":${v}}`],
];

/**
 * Issue 20, item 2: non-finite and overflowing values on every numeric route are a typed 4xx naming the
 * field, before anything is stored or run; and `/v1/predict` never answers `null`.
 */
describe('adversarial HTTP: non-finite and overflowing numbers on every numeric route', () => {
  let signer: Signer;
  let engine: Engine;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    signer = await createSigner();
    engine = await createWideEngine();
    server = await serve({
      engine,
      auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
      port: 0,
      retrainEvery: 1,
      rateLimit: false,
    });
    token = await signer.sign({ sub: 'untrusted', scope: 'predict feedback admin' });
  });
  afterAll(async () => {
    await server.close();
    await engine.stop();
  });

  it.each(NUMERIC)('%s: every nasty value is a typed 400 and changes nothing', async (_, method, path, template) => {
    const examples = await engine.store.countExamples();
    const policy = JSON.stringify(engine.policy);
    for (const value of path === '/v1/policy' ? NASTY : [...NASTY, ...OVERFLOWING_FEATURES]) {
      const r = await rawRequest(server.url, path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: template(value),
      });
      expect(r.status, `${path} ${value}`).toBe(400);
      const { error } = JSON.parse(r.body) as { error: { code: string; message: string } };
      expect(['E_INPUT', 'E_BAD_JSON', 'E_POLICY'], `${path} ${value}`).toContain(error.code);
      if (error.code === 'E_INPUT' && path !== '/v1/policy') expect(error.message, value).toMatch(/(rows|items)\.\d/);
    }
    expect(await engine.store.countExamples()).toBe(examples);
    expect(JSON.stringify(engine.policy)).toBe(policy);
  });

  it('predict at the edge of the accepted range answers finite numbers or a typed 422, never null', async () => {
    for (const value of [1e15, -1e15, 9.99e14]) {
      const body = JSON.stringify({ rows: [Array(WIDE).fill(1), Array(WIDE).fill(value)] });
      const r = await rawRequest(server.url, '/v1/predict', {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      expect(r.body, String(value)).not.toContain('null');
      if (r.status === 200) {
        const answer = JSON.parse(r.body) as { probabilities: number[][]; dissonance: number[] };
        expect([...answer.probabilities.flat(), ...answer.dissonance].every(Number.isFinite)).toBe(true);
      } else {
        expect(r.status).toBe(422);
        expect(JSON.parse(r.body)).toMatchObject({
          error: { code: 'E_NON_FINITE_OUTPUT', message: expect.stringContaining('row 1') },
        });
      }
    }
  });

  it('the process keeps running and learning: a valid item is accepted and /readyz is green', async () => {
    const items = [{ id: 'valid-1', features: Array(WIDE).fill(1), label: 2 }];
    const r = await fetch(`${server.url}/v1/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ accepted: 1 });
    await server.handler.settled();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
