import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { ORT_DIST } from './build-page.js';

/** One registered model version. */
export interface ServedVersion {
  readonly version: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** Manifest tags (a signed version carries its signature here). */
  readonly tags: Readonly<Record<string, string>>;
}

/** What the feedback route received. */
export interface FeedbackLog {
  /** Items accepted, by id (first delivery wins). */
  readonly accepted: Map<string, { features: number[]; label: number }>;
  /** How many times each id arrived (including duplicates). */
  readonly deliveries: Map<string, number>;
  /** Body size of every feedback request that reached the server. */
  readonly bodies: number[];
}

/** A localhost server for browser tests: the page, onnxruntime-web's files, and the server routes the browser package uses. */
export interface TestServer {
  readonly url: string;
  readonly token: string;
  readonly feedback: FeedbackLog;
  /** Registers a new version of `name` (it becomes the champion). */
  publish(name: string, bytes: Uint8Array, tags?: Readonly<Record<string, string>>): ServedVersion;
  /** Extra static files: path → body. */
  readonly files: Map<string, { body: string | Uint8Array; type: string }>;
  /** Called after each accepted feedback item. */
  onAccepted?: (id: string, total: number) => void;
  /** The next this many feedback requests are processed, then their connection is dropped (a lost answer). */
  dropAnswers: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/**
 * Starts the test server on a free localhost port. It implements the HTTP contract of `dissonance serve` that
 * @dissonance/browser codes against: `POST /v1/feedback` (bearer token; idempotent by item id),
 * `GET /v1/models/{name}` and `GET /v1/models/{name}/versions/{version}/model.onnx` (with `x-dissonance-sha256`);
 * `/ort/*` serves onnxruntime-web's dist folder. Every answer is cross-origin isolated (COOP/COEP), so wasm
 * may use threads.
 */
export async function startTestServer(): Promise<TestServer> {
  const models = new Map<string, ServedVersion[]>();
  const feedback: FeedbackLog = { accepted: new Map(), deliveries: new Map(), bodies: [] };
  const files = new Map<string, { body: string | Uint8Array; type: string }>();
  const token = `test-token-${Math.random().toString(36).slice(2)}`;
  let base = '';
  const state: TestServer = {
    get url() {
      return base;
    },
    token,
    feedback,
    files,
    dropAnswers: 0,
    publish(name, bytes, tags = {}) {
      const versions = models.get(name) ?? [];
      const served = { version: String(versions.length + 1), bytes, sha256: createHash('sha256').update(bytes).digest('hex'), tags };
      versions.push(served);
      models.set(name, versions);
      return served;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    res.setHeader('cache-control', 'no-store');
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const file = files.get(path);
    if (req.method === 'GET' && file !== undefined) return send(res, 200, file.body, file.type);
    if (req.method === 'GET' && path.startsWith('/ort/')) {
      const name = normalize(path.slice(5));
      if (name.includes('..') || name.includes('/')) return send(res, 404, 'not found', 'text/plain');
      const body = await readFile(join(ORT_DIST, name)).catch(() => undefined);
      return body === undefined ? send(res, 404, 'not found', 'text/plain') : send(res, 200, body, TYPES[extname(name)] ?? 'application/octet-stream');
    }
    const modelMatch = /^\/v1\/models\/([^/]+)(?:\/versions\/([^/]+)\/model\.onnx)?$/.exec(path);
    if (req.method === 'GET' && modelMatch !== null) {
      const name = decodeURIComponent(modelMatch[1]!);
      const versions = models.get(name);
      if (versions === undefined) return json(res, 404, { error: { code: 'E_NOT_FOUND', message: `no model ${name}` } });
      if (modelMatch[2] === undefined) {
        const champion = versions[versions.length - 1]!;
        return json(res, 200, {
          name,
          champion: {
            version: champion.version,
            sha256: champion.sha256,
            manifest: { name, version: champion.version, format: 'onnx', sha256: champion.sha256, tags: champion.tags },
            artifactUrl: `/v1/models/${encodeURIComponent(name)}/versions/${champion.version}/model.onnx`,
          },
        });
      }
      const served = versions.find((v) => v.version === decodeURIComponent(modelMatch[2]!));
      if (served === undefined) return json(res, 404, { error: { code: 'E_NOT_FOUND', message: 'no such version' } });
      res.setHeader('x-dissonance-sha256', served.sha256);
      return send(res, 200, served.bytes, 'application/octet-stream');
    }
    if (req.method === 'POST' && path === '/v1/feedback') {
      if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { error: { code: 'E_AUTH', message: 'bad token' } });
      const raw = await body(req);
      feedback.bodies.push(raw.length);
      let items: Array<{ id: string; features: number[]; label: number }>;
      try {
        items = (JSON.parse(raw.toString('utf8')) as { items: typeof items }).items;
        if (!Array.isArray(items)) throw new Error('items is not an array');
        const bad = items.find((item) => !Number.isInteger(item.label) || item.label < 0 || item.label > 9);
        if (bad !== undefined) throw new Error(`item ${bad.id}: label must be an integer 0..9`);
      } catch (error) {
        return json(res, 400, { error: { code: 'E_INPUT', message: (error as Error).message } });
      }
      let accepted = 0;
      let duplicates = 0;
      for (const item of items) {
        feedback.deliveries.set(item.id, (feedback.deliveries.get(item.id) ?? 0) + 1);
        if (feedback.accepted.has(item.id)) {
          duplicates++;
          continue;
        }
        feedback.accepted.set(item.id, { features: item.features, label: item.label });
        accepted++;
        state.onAccepted?.(item.id, feedback.accepted.size);
      }
      if (state.dropAnswers > 0) {
        state.dropAnswers--;
        res.socket?.destroy();
        return;
      }
      return json(res, 200, { accepted, duplicates, quarantined: 0 });
    }
    send(res, 404, 'not found', 'text/plain');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, String(error), 'text/plain'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  return state;
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
