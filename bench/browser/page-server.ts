import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { ORT_DIST } from './build-page.js';

/** A localhost server of static files for the bench page. */
export interface PageServer {
  readonly url: string;
  /** The files served: path → body. */
  readonly files: Map<string, { body: string | Uint8Array; type: string }>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

/**
 * Starts the bench's page server on a free localhost port: the files in `files` (the page, its script, the
 * model) and, under `/ort/*`, onnxruntime-web's dist folder. Every answer is cross-origin isolated
 * (COOP/COEP), so wasm may use threads.
 */
export async function startPageServer(): Promise<PageServer> {
  const files = new Map<string, { body: string | Uint8Array; type: string }>();
  let base = '';
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    res.setHeader('cache-control', 'no-store');
    const path = new URL(req.url ?? '/', base).pathname;
    const file = files.get(path);
    if (req.method === 'GET' && file !== undefined) return send(res, 200, file.body, file.type);
    if (req.method === 'GET' && path.startsWith('/ort/')) {
      const name = normalize(path.slice(5));
      if (name.includes('..') || name.includes('/')) return send(res, 404, 'not found', 'text/plain');
      const body = await readFile(join(ORT_DIST, name)).catch(() => undefined);
      return body === undefined
        ? send(res, 404, 'not found', 'text/plain')
        : send(res, 200, body, TYPES[extname(name)] ?? 'application/octet-stream');
    }
    send(res, 404, 'not found', 'text/plain');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, String(error), 'text/plain'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    get url() {
      return base;
    },
    files,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
