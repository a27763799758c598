import { request as httpRequest, Agent } from 'node:http';
import type { Engine } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../../packages/server/src/http/index.js';
import { AUDIENCE, createSigner, ISSUER, type Signer } from '../../packages/server/test/http/fixtures.js';
import { closedLoop, createWideEngine, startFlood, wideRows } from './http-support.js';

/**
 * Issue 20, item 3: one principal flooding with heavy invalid bodies must not starve the others. A good
 * principal's predict throughput is measured alone and under a flood of 32 connections sending 0.5–0.8 MB
 * wrong-width and 250 000–400 000-deep bodies, in four interleaved pairs of 1 s windows — alone (no flood
 * process, the server done with what it had received), then under a flood started 1 s before the window (so
 * the sustained flood is measured, not the opening burst its byte budget allows after each pause) — so a
 * machine whose load drifts affects both sides alike; the ratio of the flooded count to the solo count must
 * stay ≥ 0.5.
 *
 * The request-rate limit is raised so the good principal's solo throughput measures the server rather than its
 * own 20 requests/s; the byte budget, the per-route byte limit and the nesting limit are at their defaults.
 */
describe('adversarial HTTP: fairness under a flood of heavy invalid bodies', () => {
  let signer: Signer;
  let engine: Engine;
  let server: RunningServer;
  let good: string;
  let flooder: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    signer = await createSigner();
    engine = await createWideEngine();
    server = await serve({
      engine,
      auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
      port: 0,
      retrainEvery: 0,
      rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
    });
    good = await signer.sign({ sub: 'good', scope: 'predict' });
    flooder = await signer.sign({ sub: 'flooder', scope: 'predict feedback' });
  });
  afterAll(async () => {
    agent.destroy();
    await server.close();
    await engine.stop();
  });

  const body = Buffer.from(JSON.stringify({ rows: wideRows(8) }));
  const predict = (): Promise<number> =>
    new Promise((resolve) => {
      const url = new URL('/v1/predict', server.url);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${good}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });

  /** Waits until the server has worked off what was sent before: three sequential predicts answered. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await predict();
  };

  it('the good principal keeps ≥ 50 % of its solo throughput', async () => {
    await closedLoop(predict, 4, 500); // warm-up
    let solo = 0;
    let flooded = 0;
    const counts: Record<string, number>[] = [];
    for (let round = 0; round < 4; round++) {
      await settle();
      solo += (await closedLoop(predict, 4, 1_000)).ok;
      const floods = [500_000, 800_000].map((bytes) =>
        startFlood({ url: server.url, path: '/v1/predict', token: flooder, connections: 16, bytes }),
      );
      try {
        await Promise.all(floods.map((f) => f.ready));
        // The flood's opening burst (its byte budget refilled while it was away) is spent before the window.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        flooded += (await closedLoop(predict, 4, 1_000)).ok;
      } finally {
        counts.push(...(await Promise.all(floods.map((f) => f.stop()))));
      }
    }
    const ratio = flooded / solo;
    const total = (status: string): number => counts.reduce((sum, c) => sum + (c[status] ?? 0), 0);
    console.log(
      `fairness: good principal ${solo} requests solo, ${flooded} under flood (4 interleaved pairs of 1 s windows): ratio ${ratio.toFixed(2)}; flood answers 400: ${total('400')}, 413: ${total('413')}, 429: ${total('429')}, 200: ${total('200')}`,
    );
    expect(solo).toBeGreaterThan(0);
    expect(ratio).toBeGreaterThanOrEqual(0.5);
    // The flood was refused, not served: its bodies were never valid.
    expect(total('200')).toBe(0);
    // And the server still answers.
    expect(await predict()).toBe(200);
  });
});
