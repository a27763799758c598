import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { createEngine, FunctionModel, oracleLabels, type LoadedModel, type Trainer } from '@dissonance/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, setupTelemetry, type TelemetryHandle } from '../../src/index.js';

/** A real OTLP/HTTP peer: records each POST's path, content type and body. */
async function otlpReceiver(): Promise<{
  url: string;
  posts: { path: string; type: string; body: Buffer }[];
  close: () => Promise<void>;
}> {
  const posts: { path: string; type: string; body: Buffer }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function model(name: string, bias: number): LoadedModel {
  return new FunctionModel({
    name,
    inputWidth: 2,
    classes: 2,
    run: (x, rows) => {
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const p = 1 / (1 + Math.exp(-(bias + (x[r * 2] ?? 0))));
        out[r * 2] = p;
        out[r * 2 + 1] = 1 - p;
      }
      return out;
    },
  });
}

describe('setupTelemetry', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    delete process.env.OTEL_SERVICE_NAME;
    delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  });

  it('exports the engine spans and metrics over OTLP/HTTP, serves them on /metrics, and takes the resource from OTEL_* variables', async () => {
    const receiver = await otlpReceiver();
    cleanups.push(receiver.close);
    process.env.OTEL_SERVICE_NAME = 'obs-test-service';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=ci';
    const port = await freePort();
    const handle: TelemetryHandle = await setupTelemetry({
      serviceName: 'overridden-by-env',
      otlpEndpoint: receiver.url,
      prometheus: { port, host: '127.0.0.1' },
    });
    cleanups.push(() => handle.shutdown());
    expect(handle.resource.attributes['service.name']).toBe('obs-test-service');
    expect(handle.resource.attributes['deployment.environment.name']).toBe('ci');
    expect(handle.prometheusUrl).toBe(`http://127.0.0.1:${port}/metrics`);

    const engine = createEngine({ modelName: 'otlp', proposer: model('otlp', 0), critics: [model('critic', 1)] });
    const rows = 8;
    await engine.process({ x: new Float32Array(rows * 2).map((_, i) => (i % 5) - 2), rows });
    await engine.process({ x: new Float32Array(rows * 2).fill(1), rows });

    const scrape = await (await fetch(handle.prometheusUrl ?? '')).text();
    expect(scrape).toMatch(/dissonance_items_total\{[^}]*dissonance_outcome="unlabelled"[^}]*\} 16/);
    expect(scrape).toMatch(/dissonance_item_dissonance_count\{[^}]*\} 16/);
    expect(scrape).toMatch(/dissonance_stage_duration_bucket\{[^}]*dissonance_stage="generate"/);
    expect(scrape).toContain('# UNIT dissonance_stage_duration s');

    await handle.forceFlush();
    const traces = receiver.posts.filter((p) => p.path === '/v1/traces');
    const metrics = receiver.posts.filter((p) => p.path === '/v1/metrics');
    expect(traces.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    const traceText = Buffer.concat(traces.map((p) => p.body)).toString('latin1');
    for (const text of ['generate', 'detect', 'reconcile', 'obs-test-service', 'dissonance.batch.size'])
      expect(traceText).toContain(text);
    const metricText = Buffer.concat(metrics.map((p) => p.body)).toString('latin1');
    for (const text of ['dissonance.items', 'dissonance.item.dissonance', 'dissonance.stage.duration'])
      expect(metricText).toContain(text);
    await engine.stop();
  });

  it('sends to OTEL_EXPORTER_OTLP_ENDPOINT when no endpoint is given', async () => {
    const receiver = await otlpReceiver();
    cleanups.push(receiver.close);
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    cleanups.push(async () => {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    });
    const handle = await setupTelemetry({ prometheus: false });
    cleanups.push(() => handle.shutdown());
    trace.getTracer('env').startSpan('from-env').end();
    await handle.forceFlush();
    const traces = receiver.posts.filter((p) => p.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(Buffer.concat(traces.map((p) => p.body)).toString('latin1')).toContain('from-env');
  });

  it('unregisters the SDK on shutdown: the API is a no-op again', async () => {
    const handle = await setupTelemetry({ otlpEndpoint: false, prometheus: false });
    expect(trace.getTracer('x').startSpan('s').isRecording()).toBe(true);
    await handle.shutdown();
    await handle.shutdown();
    expect(trace.getTracer('x').startSpan('s').isRecording()).toBe(false);
  });

  it('rejects a bad endpoint or port with E_CONFIG', async () => {
    await expect(setupTelemetry({ otlpEndpoint: 'collector:4318', prometheus: false })).rejects.toMatchObject({
      code: 'E_CONFIG',
    });
    await expect(setupTelemetry({ otlpEndpoint: false, prometheus: { port: 70_000 } })).rejects.toMatchObject({
      code: 'E_CONFIG',
    });
  });
});

describe('createLogger', () => {
  it('writes JSON lines that carry trace_id and span_id inside a span, and none outside', async () => {
    const handle = await setupTelemetry({ otlpEndpoint: false, prometheus: false });
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    const logger = createLogger({ name: 'test', destination });
    logger.info({ outside: true }, 'no span');
    const ids = trace.getTracer('t').startActiveSpan('work', (span) => {
      logger.warn({ inside: true }, 'in span');
      span.end();
      return span.spanContext();
    });
    logger.debug('below the level');
    await handle.shutdown();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'test', outside: true, msg: 'no span' });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({
      level: 'warn',
      inside: true,
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: '01',
    });
    expect(typeof lines[1]?.time).toBe('string');
  });

  it('fits the engine Logger interface: retrain and error lines reach pino', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    const logger = createLogger({ name: 'engine', destination });
    let fits = 0;
    // The first fit fails (an `error` line); the second returns the champion's own function as the candidate
    // (a `retrained` line with its decision).
    const trainer: Trainer = {
      name: 'flaky',
      fit: async (base) => {
        fits += 1;
        if (fits === 1) throw new Error('out of memory');
        const candidate = model(base.name, 0);
        return {
          model: candidate,
          artifact: { format: 'json', bytes: new TextEncoder().encode('{}') },
          report: { loss: [0.5], kl: 0 },
        };
      },
    };
    const engine = createEngine({
      proposer: model('p', 0),
      critics: [model('q', 1)],
      labels: oracleLabels(async (requests) => requests.map(() => 0)),
      trainer,
      retrain: { minExamples: 1, everyExamples: 1_000_000 },
      policy: { dBudgetPerHour: 1e9, maxDissonance: 2 },
      logger,
    });
    engine.on('error', () => undefined);
    await engine.process({ x: new Float32Array(16 * 2).map((_, i) => (i % 5) - 2), rows: 16 });
    await engine.retrainNow();
    await engine.retrainNow();
    await engine.stop();
    const failed = lines.find((l) => l.level === 'error' && l.stage === 'retrain');
    expect(failed).toMatchObject({ name: 'engine', code: 'E_TRAINER' });
    expect(String(failed?.msg)).toContain('out of memory');
    const retrained = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('retrained p version'));
    expect(retrained).toMatchObject({ level: 'info', name: 'engine', parent: '1' });
    expect(['accepted', 'rejected', 'canary']).toContain(retrained?.decision);
  });
});
