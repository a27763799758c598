import { connect, type Socket } from 'node:net';
import type { Engine } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../../packages/server/src/http/index.js';
import { AUDIENCE, createSigner, ISSUER } from '../../packages/server/test/http/fixtures.js';
import { createWideEngine, WIDE, WIDE_CLASSES } from './http-support.js';

const ARTIFACT_BYTES = 32 * 1024 * 1024;
const READERS = 16;

/**
 * The session-17 audit: each download of a model artifact copied the whole artifact (twice), and a client that
 * never read its reply held those copies for as long as it kept the connection open — 40 such connections of
 * one token held 1.3 GB. Downloads now share one checked copy, streamed in views as the client reads.
 */
describe('adversarial HTTP: clients that request a large artifact and never read it', () => {
  let engine: Engine;
  let server: RunningServer;
  let token: string;
  let version: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const signer = await createSigner();
    engine = await createWideEngine();
    ({ version } = await engine.registry.register({
      name: engine.modelName,
      artifact: { format: 'json', bytes: new Uint8Array(ARTIFACT_BYTES).fill(7) },
      inputWidth: WIDE,
      classes: WIDE_CLASSES,
    }));
    server = await serve({
      engine,
      auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
      port: 0,
      retrainEvery: 0,
      rateLimit: { burst: 1000, perSecond: 1000 },
    });
    token = await signer.sign({ sub: 'stalling', scope: 'predict' });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
    await engine.stop();
  });

  it(`${READERS} stalled downloads of a 32 MiB artifact hold about one copy of it, not one per download`, async () => {
    const before = process.memoryUsage().arrayBuffers;
    const firstBytes: Promise<void>[] = [];
    for (let i = 0; i < READERS; i++) {
      const socket = connect(server.port, '127.0.0.1');
      sockets.push(socket);
      firstBytes.push(
        new Promise((resolve) => {
          socket.once('data', () => {
            socket.pause(); // never reads again: the kernel's buffers fill, then the server's writes wait
            resolve();
          });
        }),
      );
      socket.write(
        `GET /v1/models/${engine.modelName}/versions/${version}/model.onnx HTTP/1.1\r\nhost: localhost\r\n` +
          `authorization: Bearer ${token}\r\n\r\n`,
      );
    }
    await Promise.all(firstBytes);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const held = process.memoryUsage().arrayBuffers - before;
    // One kept copy (plus the registry's own and what is in flight); one copy per download would be 512 MiB.
    expect(held).toBeLessThan(4 * ARTIFACT_BYTES);
    // The server still answers others.
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
