import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { MlflowHttp, MlflowHttpError, type FetchFunction } from '../src/index.js';

/** A fetch double answering from `answers` in order and recording each call. */
function scripted(answers: Array<() => Response>): {
  fetch: FetchFunction;
  calls: Array<{ url: string; init: RequestInit }>;
} {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push({ url, init });
      const next = answers[Math.min(calls.length - 1, answers.length - 1)];
      return next === undefined ? Promise.reject(new Error('no answer')) : Promise.resolve(next());
    },
  };
}

const json =
  (status: number, body: unknown): (() => Response) =>
  () =>
    new Response(JSON.stringify(body), { status });

describe('MlflowHttp', () => {
  it('sends a bearer token and query parameters', async () => {
    const double = scripted([json(200, { ok: 1 })]);
    const http = new MlflowHttp({ url: 'http://mlflow.test/', auth: { token: 't0k' }, fetch: double.fetch });
    expect(await http.json({ method: 'GET', path: '/api/2.0/x', query: { name: 'a b' } })).toEqual({ ok: 1 });
    expect(double.calls[0]?.url).toBe('http://mlflow.test/api/2.0/x?name=a+b');
    expect((double.calls[0]?.init.headers as Record<string, string>).authorization).toBe('Bearer t0k');
  });

  it('sends basic auth', async () => {
    const double = scripted([json(200, {})]);
    const http = new MlflowHttp({
      url: 'http://mlflow.test',
      auth: { username: 'u', password: 'p' },
      fetch: double.fetch,
    });
    await http.json({ method: 'GET', path: '/health' });
    expect((double.calls[0]?.init.headers as Record<string, string>).authorization).toBe(`Basic ${btoa('u:p')}`);
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    const double = scripted([json(503, {}), json(429, {}), json(500, {}), json(200, { done: true })]);
    const http = new MlflowHttp({ url: 'http://mlflow.test', fetch: double.fetch, retryBaseMs: 1 });
    expect(await http.json({ method: 'GET', path: '/x' })).toEqual({ done: true });
    expect(double.calls).toHaveLength(4);
  });

  it('gives up after maxRetries with E_REGISTRY_UNAVAILABLE', async () => {
    const double = scripted([json(502, {})]);
    const http = new MlflowHttp({ url: 'http://mlflow.test', fetch: double.fetch, retryBaseMs: 1, maxRetries: 2 });
    await expectCode(http.json({ method: 'GET', path: '/x' }), 'E_REGISTRY_UNAVAILABLE');
    expect(double.calls).toHaveLength(3);
  });

  it('does not repeat a non-idempotent call after a 500', async () => {
    const double = scripted([json(500, {}), json(200, {})]);
    const http = new MlflowHttp({ url: 'http://mlflow.test', fetch: double.fetch, retryBaseMs: 1 });
    await expectCode(http.json({ method: 'POST', path: '/x', body: {}, idempotent: false }), 'E_REGISTRY_UNAVAILABLE');
    expect(double.calls).toHaveLength(1);
  });

  it('surfaces 4xx answers as MlflowHttpError with the MLflow error code', async () => {
    const double = scripted([json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'nope' })]);
    const http = new MlflowHttp({ url: 'http://mlflow.test', fetch: double.fetch });
    const error: unknown = await http.json({ method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowHttpError);
    expect(error).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('maps 401 to E_CONFIG and a bad url to E_CONFIG', async () => {
    const http = new MlflowHttp({ url: 'http://mlflow.test', fetch: scripted([json(401, {})]).fetch });
    await expectCode(http.json({ method: 'GET', path: '/x' }), 'E_CONFIG');
    expect(() => new MlflowHttp({ url: 'mlflow.test' })).toThrow(/E_CONFIG/);
  });
});
