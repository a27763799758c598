import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, startTestServer } from './fixtures.js';

/** What a raw TCP client read: the status line and the body (after the blank line). */
interface RawAnswer {
  readonly status: string;
  readonly body: string;
}

/**
 * Sends `head` (and, when `uploadMs` is given, a chunked body for that long without reading the socket), then
 * reads until the server closes the connection.
 */
function tcp(port: number, head: string, uploadMs?: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (): void => {
      const [top = '', ...rest] = text.split('\r\n\r\n');
      resolve({ status: top.split('\r\n')[0] ?? '', body: rest.join('\r\n\r\n') });
    };
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(head);
    if (uploadMs === undefined) return;
    socket.pause();
    const piece = `4000\r\n${' '.repeat(0x4000)}\r\n`;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(piece);
    }, 5);
    setTimeout(() => {
      clearInterval(timer);
      socket.resume();
    }, uploadMs);
  });
}

describe('the Node bridge of serve()', () => {
  let ctx: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    ctx = await startTestServer(await createSigner());
  });
  afterAll(async () => ctx.close());

  it('a request that is not a valid Request (bad Host) is a 400 E_INPUT with the JSON error shape', async () => {
    const answer = await tcp(ctx.server.port, 'GET /healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n');
    expect(answer.status).toContain(' 400 ');
    expect(answer.body).toContain('"E_INPUT"');
  });

  it('an HTTP/1.0 request without Host is served', async () => {
    const answer = await tcp(ctx.server.port, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(answer.status).toContain(' 200 ');
  });

  it('TRACE on a path outside the route table is a 405 E_METHOD too', async () => {
    const answer = await tcp(ctx.server.port, 'TRACE /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.status).toContain(' 405 ');
    expect(answer.body).toContain('"E_METHOD"');
  });

  it('a client that keeps uploading a refused body without reading still gets the answer, not a reset', async () => {
    const head =
      'POST /v1/predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';
    const answer = await tcp(ctx.server.port, head, 300);
    expect(answer.status).toContain(' 401 ');
    expect(answer.body).toContain('"E_TOKEN_MISSING"');
  });
});
