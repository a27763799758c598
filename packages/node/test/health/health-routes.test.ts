import type { EngineHealth } from '@dissonance/core';
import { DEFAULT_POLICY } from '@dissonance/core';
import { describe, expect, it } from 'vitest';
import { healthRoutes } from '../../src/index.js';

function report(overrides: Partial<EngineHealth> = {}, loop: Partial<EngineHealth['loop']> = {}): EngineHealth {
  return {
    status: 'ok',
    ports: { models: { ok: true, detail: 'champion 1' }, registry: { ok: true }, store: { ok: true } },
    champion: '1',
    challenger: undefined,
    loop: {
      accepted: 0,
      processed: 0,
      blocked: 0,
      deferred: 0,
      failed: 0,
      examples: 0,
      unlabelled: 0,
      retrains: 0,
      promotions: 0,
      rollbacks: 0,
      queued: 0,
      inFlight: 0,
      lastProgressAt: 1_000,
      ...loop,
    },
    policy: DEFAULT_POLICY,
    ...overrides,
  } as EngineHealth;
}

const get = (path: string, method = 'GET'): Request => new Request(`http://svc${path}`, { method });

async function json(response: Response | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
  if (response === undefined) throw new Error('no response');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('healthRoutes', () => {
  it('passes other paths on and refuses other methods', async () => {
    const routes = healthRoutes({ engine: { health: async () => report() } });
    expect(await routes(get('/predict'))).toBe(undefined);
    expect((await routes(get('/readyz', 'POST')))?.status).toBe(405);
  });

  it('names the engine port, each failing check and a check that hangs', async () => {
    const routes = healthRoutes({
      engine: {
        health: async () =>
          report({
            status: 'degraded',
            ports: {
              models: { ok: true },
              registry: { ok: false, error: 'E_REGISTRY_UNAVAILABLE: down' },
              store: { ok: true },
            },
          }),
      },
      checks: {
        disk: () => {
          throw new Error('disk full');
        },
        slow: () => new Promise(() => undefined),
        fine: () => undefined,
      },
      checkTimeoutMs: 50,
    });
    const { status, body } = await json(await routes(get('/readyz')));
    expect(status).toBe(503);
    expect(body.failing).toEqual([
      { name: 'registry', error: 'E_REGISTRY_UNAVAILABLE: down' },
      { name: 'disk', error: 'disk full' },
      { name: 'slow', error: 'timed out after 50 ms' },
    ]);
  });

  it('answers 503 naming the engine when health() itself hangs, and when it is stopped', async () => {
    const hanging = healthRoutes({ engine: { health: () => new Promise(() => undefined) }, checkTimeoutMs: 30 });
    expect(await json(await hanging(get('/healthz')))).toEqual({
      status: 503,
      body: { status: 'failing', failing: [{ name: 'engine', error: 'health() failed: timed out after 30 ms' }] },
    });
    const stopped = healthRoutes({ engine: { health: async () => report({ status: 'stopped' }) } });
    for (const path of ['/healthz', '/readyz']) {
      const { status, body } = await json(await stopped(get(path)));
      expect(status).toBe(503);
      expect(body.failing).toEqual([{ name: 'engine', error: 'engine is stopped' }]);
    }
  });

  it('keeps an idle loop live however old its last progress, and fails a busy one past the bound', async () => {
    let now = 1_000;
    let busy = false;
    const routes = healthRoutes({
      engine: { health: async () => report({}, busy ? { queued: 2, inFlight: 1 } : {}) },
      maxStallMs: 500,
      now: () => now,
    });
    now = 100_000;
    expect((await routes(get('/healthz')))?.status).toBe(200);
    busy = true;
    const { status, body } = await json(await routes(get('/healthz')));
    expect(status).toBe(503);
    expect(body.failing).toEqual([
      { name: 'loop', error: 'no batch reconciled for 99000 ms with 2 queued and 1 in flight (bound 500 ms)' },
    ]);
    now = 1_400;
    expect((await routes(get('/healthz')))?.status).toBe(200);
  });

  it('reports an absent model as not loaded', async () => {
    const routes = healthRoutes({ engine: { health: async () => report() }, model: () => undefined });
    expect((await json(await routes(get('/readyz')))).body.failing).toEqual([
      { name: 'model', error: 'no model loaded' },
    ]);
  });
});
