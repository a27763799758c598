import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createAmqpTransport } from '@dissonance/adapter-amqp';
import { createEngine, randomId, type LoadedModel } from '@dissonance/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRegistry, healthRoutes, OnnxNodeRuntime, type OnnxNodeModel } from '../../src/index.js';
import { randomMlp, randomRows, tempDir, writeOnnxMlp } from '../onnx/fixtures.js';
import { serveFetch } from './fetch-server.js';
import { TcpProxy } from './tcp-proxy.js';

const BROKER = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');

interface HealthBody {
  readonly status: 'ok' | 'failing';
  readonly failing: readonly { readonly name: string; readonly error: string }[];
}

async function get(url: string): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

/** Polls `url` until its status is `status` (the parts recover on their own: reconnects, retries). */
async function until(url: string, status: number, timeoutMs = 20_000): Promise<{ status: number; body: HealthBody }> {
  let last = await get(url);
  const deadline = Date.now() + timeoutMs;
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await get(url);
  }
  return last;
}

describe('/healthz and /readyz over real HTTP', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('flip to failing with the reason when the model is unloaded, the broker connection drops or the registry is unreachable, and recover', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const root = join(dir, 'registry');
    const registry = new FileRegistry({ root });
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const weights = randomMlp([4, 6, 2], 3);
    let serving: OnnxNodeModel = await runtime.loadBytes(writeOnnxMlp(weights), { name: 'health', version: '0' });
    const critic = await runtime.loadBytes(writeOnnxMlp(randomMlp([4, 6, 2], 4)), { name: 'critic', version: '0' });
    const engine = createEngine({ modelName: 'health', proposer: serving, critics: [critic], registry, runtime });
    await engine.process({ x: randomRows(4, 4, 1), rows: 4 });

    const proxy = new TcpProxy({ host: BROKER.hostname, port: Number(BROKER.port || 5672) });
    await proxy.start();
    const transport = await createAmqpTransport({
      url: `amqp://${BROKER.username}:${BROKER.password}@127.0.0.1:${proxy.port}`,
      prefix: `dhealth-${randomId()}`,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    });
    cleanups.push(async () => {
      await transport.close();
      await proxy.drop();
      await engine.stop();
      await critic.dispose();
    });
    const server = await serveFetch(healthRoutes({ engine, transport, model: () => serving, maxStallMs: 5_000 }));
    cleanups.push(server.close);
    const healthz = `${server.url}/healthz`;
    const readyz = `${server.url}/readyz`;

    expect(await get(healthz)).toMatchObject({ status: 200, body: { status: 'ok', failing: [] } });
    expect(await get(readyz)).toMatchObject({ status: 200, body: { status: 'ok', failing: [] } });

    // The model is unloaded (disposed): readiness names it; liveness is unaffected.
    const unloaded = serving;
    await unloaded.dispose();
    const noModel = await get(readyz);
    expect(noModel.status).toBe(503);
    expect(noModel.body.failing).toEqual([{ name: 'model', error: expect.stringMatching(/disposed/) as string }]);
    expect((await get(healthz)).status).toBe(200);
    serving = await runtime.loadBytes(writeOnnxMlp(weights), { name: 'health', version: '0' });
    expect((await get(readyz)).status).toBe(200);

    // The broker connection drops (only ours, through the proxy): transport fails until it reconnects.
    await proxy.drop();
    const noBroker = await until(readyz, 503);
    expect(noBroker.body.failing.map((f) => f.name)).toEqual(['transport']);
    expect(noBroker.body.failing[0]?.error).toMatch(/AMQP/);
    await proxy.restore();
    expect((await until(readyz, 200)).body).toEqual(expect.objectContaining({ status: 'ok', failing: [] }));

    // The registry becomes unreachable (its directory is gone), then comes back.
    await rename(root, `${root}.away`);
    const noRegistry = await get(readyz);
    expect(noRegistry.status).toBe(503);
    expect(noRegistry.body.failing.map((f) => f.name)).toEqual(['registry']);
    expect(noRegistry.body.failing[0]?.error).toMatch(/registry|ENOENT|no such file/i);
    await rename(`${root}.away`, root);
    expect((await get(readyz)).status).toBe(200);

    // Stopped engine: liveness fails naming the engine.
    await engine.stop();
    const stopped = await get(healthz);
    expect(stopped).toMatchObject({
      status: 503,
      body: { status: 'failing', failing: [{ name: 'engine', error: 'engine is stopped' }] },
    });
    await serving.dispose();
  });

  it('fails liveness, naming the loop, when batches wait longer than the bound without progress', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: LoadedModel = {
      name: 'slow',
      version: '0',
      inputWidth: 1,
      classes: 2,
      run: async (_x, rows) => {
        await gate;
        return new Float32Array(rows * 2).fill(0.5);
      },
    };
    const engine = createEngine({
      modelName: `stall-${randomId()}`,
      proposer: slow,
      critics: [{ ...slow, name: 'critic' }],
    });
    await engine.ready();
    let now = Date.now();
    const server = await serveFetch(healthRoutes({ engine, maxStallMs: 1_000, now: () => now }));
    cleanups.push(server.close);
    const pending = engine.process({ x: Float32Array.of(1), rows: 1 });
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    now += 5_000;
    const stalled = await get(`${server.url}/healthz`);
    expect(stalled.status).toBe(503);
    expect(stalled.body.failing[0]?.name).toBe('loop');
    expect(stalled.body.failing[0]?.error).toMatch(/no batch reconciled for \d+ ms with 0 queued and 1 in flight/);
    release();
    await pending;
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    await engine.stop();
  });
});
