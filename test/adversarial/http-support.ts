import { spawn, type ChildProcess } from 'node:child_process';
import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  MemoryStore,
  type Engine,
  type ModelRuntime,
} from '@dissonance/core';

/** Width of the adversarial suite's model: the digits data set's, as in the probe. */
export const WIDE = 64;
/** Its classes. */
export const WIDE_CLASSES = 10;

/** A cheap 64-feature, 10-class model: softmax of shifted sums (the suite measures the server, not a model). */
export function wideModel(name: string, version = '0', shift = 0): FunctionModel {
  return new FunctionModel({
    name,
    version,
    inputWidth: WIDE,
    classes: WIDE_CLASSES,
    artifact: { format: 'json', bytes: new TextEncoder().encode(JSON.stringify({ kind: 'wide', shift })) },
    run: (x, rows) => {
      const out = new Float32Array(rows * WIDE_CLASSES);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < WIDE; c++) s += x[r * WIDE + c]!;
        let total = 0;
        for (let k = 0; k < WIDE_CLASSES; k++) {
          const v = Math.exp(-Math.abs(s / WIDE - k - shift));
          out[r * WIDE_CLASSES + k] = v;
          total += v;
        }
        for (let k = 0; k < WIDE_CLASSES; k++) out[r * WIDE_CLASSES + k]! /= total;
      }
      return out;
    },
  });
}

/** Loads {@link wideModel} artifacts. */
export const wideRuntime: ModelRuntime = {
  name: 'wide',
  supports: (format) => format === 'json',
  load: async (artifact, info) => {
    const { shift } = JSON.parse(new TextDecoder().decode(artifact.bytes)) as { shift: number };
    return wideModel(info.name, info.version, shift);
  },
};

/** An in-memory engine over {@link wideModel} with one critic. */
export async function createWideEngine(): Promise<Engine> {
  const engine = createEngine({
    modelName: 'digits',
    proposer: wideModel('digits'),
    critics: [wideModel('critic', '0', 0.5)],
    runtime: wideRuntime,
    registry: new MemoryRegistry(),
    store: new MemoryStore(),
    retrain: { everyExamples: 0 },
  });
  await engine.ready();
  return engine;
}

/** `rows` valid rows of {@link WIDE} features. */
export function wideRows(rows: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: WIDE }, (_, c) => ((r * 7 + c) % 17) / 4));
}

/** A running flood: `pause`/`resume` stop and continue its process (SIGSTOP/SIGCONT, connections kept). */
export interface Flood {
  /** Resolves once its bodies are built and its clients started. */
  readonly ready: Promise<void>;
  pause(): void;
  resume(): void;
  /** Ends it; resolves with its answers counted by status (`reset`: connection errors). */
  stop(): Promise<Record<string, number>>;
}

/**
 * The probe's flood, in its own process (so its CPU is not the server's event loop): `connections` clients,
 * each looping on `POST path` with heavy invalid bodies under `token` — alternately wrong-width rows of about
 * `bytes` bytes and JSON nested `bytes` levels deep — until killed. Prints the count of answers by status on
 * SIGTERM.
 */
export function startFlood(options: {
  url: string;
  path: string;
  token: string;
  connections: number;
  bytes: number;
}): Flood {
  const script = `
    const http = require('node:http');
    const { url, path, token, connections, bytes } = JSON.parse(process.argv[1]);
    const target = new URL(path, url);
    const row = Array.from({ length: ${WIDE - 1} }, (_, i) => (i % 10) + 0.125).join(',');
    const rows = Math.ceil(bytes / (row.length + 3));
    const wrongWidth = Buffer.from('{"rows":[' + Array.from({ length: rows }, () => '[' + row + ']').join(',') + ']}');
    const deep = Buffer.from('{"rows":' + '['.repeat(bytes / 2) + ']'.repeat(bytes / 2) + '}');
    const counts = {};
    let stopping = false;
    const once = (body) => new Promise((resolve) => {
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: false,
        headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
        res.resume();
        res.on('end', resolve);
        res.on('error', resolve);
      });
      req.on('error', () => { counts.reset = (counts.reset ?? 0) + 1; resolve(); });
      req.end(body);
    });
    const loop = async (i) => { let n = i; while (!stopping) await once(n++ % 2 === 0 ? wrongWidth : deep); };
    for (let i = 0; i < connections; i++) void loop(i);
    process.on('SIGTERM', () => { stopping = true; process.stdout.write(JSON.stringify(counts) + '\\n'); process.exit(0); });
    process.stdout.write('ready\\n');
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let exited = false;
  child.once('exit', () => (exited = true));
  const ready = new Promise<void>((resolve) =>
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    }),
  );
  return {
    ready,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: () =>
      new Promise((resolve) => {
        const done = (): void => {
          try {
            resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number>);
          } catch {
            resolve({});
          }
        };
        if (exited) return done();
        child.once('exit', done);
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }),
  };
}

/** Completed `200` answers of a closed loop of `concurrency` clients calling `call` for `ms` milliseconds. */
export async function closedLoop(
  call: () => Promise<number>,
  concurrency: number,
  ms: number,
): Promise<{ ok: number; other: number }> {
  const end = Date.now() + ms;
  let ok = 0;
  let other = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const status = await call().catch(() => 0);
        if (status === 200) ok++;
        else other++;
      }
    }),
  );
  return { ok, other };
}
