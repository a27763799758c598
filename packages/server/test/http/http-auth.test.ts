import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, b64, createSigner, ISSUER, noStack, startTestServer, WIDTH, type Signer } from './fixtures.js';

describe('HTTP auth matrix over real HTTP', () => {
  let signer: Signer;
  let ctx: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    signer = await createSigner();
    ctx = await startTestServer(signer);
  });
  afterAll(async () => ctx.close());

  const predict = (authorization: string | undefined): Promise<Response> =>
    fetch(`${ctx.server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ rows: [Array.from({ length: WIDTH }, () => 1)] }),
    });

  const cases: readonly (readonly [string, number, string, () => Promise<string | undefined>])[] = [
    ['no token', 401, 'E_TOKEN_MISSING', async () => undefined],
    ['malformed', 401, 'E_TOKEN_MALFORMED', async () => 'Bearer not-a-jwt'],
    [
      'expired',
      401,
      'E_TOKEN_EXPIRED',
      async () => `Bearer ${await signer.sign({ scope: 'predict' }, { exp: Math.floor(Date.now() / 1000) - 3600 })}`,
    ],
    [
      'wrong issuer',
      401,
      'E_TOKEN_ISSUER',
      async () => `Bearer ${await signer.sign({ scope: 'predict' }, { iss: 'https://evil.test' })}`,
    ],
    [
      'wrong audience',
      401,
      'E_TOKEN_AUDIENCE',
      async () => `Bearer ${await signer.sign({ scope: 'predict' }, { aud: 'someone-else' })}`,
    ],
    [
      'alg: none',
      401,
      'E_TOKEN_ALGORITHM',
      async () => {
        const exp = Math.floor(Date.now() / 1000) + 600;
        return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp, scope: 'predict admin' })}.`;
      },
    ],
    ['wrong scope', 403, 'E_FORBIDDEN', async () => `Bearer ${await signer.sign({ scope: 'feedback' })}`],
    ['valid', 200, '', async () => `Bearer ${await signer.sign({ scope: 'predict feedback' })}`],
  ];

  it.each(cases)('%s → %i', async (what, status, code, header) => {
    const response = await predict(await header());
    const text = await response.text();
    console.log(`auth ${what.padEnd(14)} → ${response.status} ${text.slice(0, 110)}`);
    expect(response.status).toBe(status);
    expect(noStack(text)).toBe(true);
    const body = JSON.parse(text) as { error?: { code: string; message: string } };
    if (status === 200) {
      expect(body.error).toBeUndefined();
    } else {
      expect(body.error?.code.startsWith(code)).toBe(true);
      expect(body.error?.message.length).toBeGreaterThan(5);
      if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('a server cannot be configured to accept alg none', async () => {
    const { createJwtAuth } = await import('../../src/http/index.js');
    expect(() =>
      createJwtAuth({ issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey, algorithms: ['none'] }),
    ).toThrow(/none/);
  });

  it('scopes also come from an scp array', async () => {
    expect((await predict(`Bearer ${await signer.sign({ scp: ['predict'] })}`)).status).toBe(200);
  });

  it('a token signed by another key is refused', async () => {
    const other = await createSigner();
    const response = await predict(`Bearer ${await other.sign({ scope: 'predict' })}`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_TOKEN_INVALID');
  });

  it('clock skew within the tolerance is accepted, beyond it refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await predict(`Bearer ${await signer.sign({ scope: 'predict' }, { exp: now - 10 })}`)).status).toBe(200);
    expect((await predict(`Bearer ${await signer.sign({ scope: 'predict' }, { exp: now - 120 })}`)).status).toBe(401);
  });

  it('health and openapi are public', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json']) {
      expect((await fetch(`${ctx.server.url}${path}`)).status).toBe(200);
    }
  });
});
