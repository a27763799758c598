/**
 * Global setup of the `browser` vitest project: starts the real HTTP server of `@dissonance/node`
 * (`serve` → `createHttpHandler`, JWT auth, CORS for the test page's origin) over a real engine
 * (onnxruntime-node, a MemoryRegistry, a MemoryStore) on an ephemeral port, and `provide`s its URL and a
 * bearer token to the tests, which call it from Chromium. What the tests need done or seen on the Node side
 * (register a model version, read what the feedback route received, compute a reference in onnxruntime-node)
 * goes through the browser commands of `commands.ts`, which reach this server through {@link serverControl}.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, MemoryRegistry, MemoryStore, type DissonanceEvent } from '@dissonance/core';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { OnnxNodeRuntime } from '@dissonance/node';
import { serve } from '@dissonance/server';
import { generateKeyPair, SignJWT } from 'jose';
import type { TestProject } from 'vitest/node';
import { setServerControl, type ServerControl } from './control.js';
import { watchFeedback } from './feedback-watch.js';
import {
  FEEDBACK_MODEL,
  PUBLISHED_MODELS,
  PYTHON_FIXTURES,
  SHAPE_FIXTURES,
  type EventView,
  type FeedbackLog,
  type PythonFixture,
} from './published.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const ISSUER = 'https://issuer.browser-tests';
const AUDIENCE = 'dissonance-browser-tests';

/** Starts the server; the returned function stops it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
  const registry = new MemoryRegistry();
  const store = new MemoryStore();
  const proposerBytes = writeOnnxMlp(
    initMlp({ inputWidth: FEEDBACK_MODEL.width, hidden: [8], classes: FEEDBACK_MODEL.classes, seed: 5 }),
  );
  const engine = createEngine({
    modelName: FEEDBACK_MODEL.name,
    proposer: await runtime.loadBytes(proposerBytes, { name: FEEDBACK_MODEL.name, version: '0' }),
    critics: [
      await runtime.loadBytes(
        writeOnnxMlp(
          initMlp({ inputWidth: FEEDBACK_MODEL.width, hidden: [8], classes: FEEDBACK_MODEL.classes, seed: 6 }),
        ),
        { name: 'critic', version: '0' },
      ),
    ],
    runtime,
    registry,
    store,
    retrain: { everyExamples: 0 },
  });
  await engine.ready();
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const token = await new SignJWT({ scope: 'predict feedback' })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('browser-tests')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(privateKey);
  const server = await serve({
    engine,
    auth: { issuer: ISSUER, audience: AUDIENCE, key: publicKey, maxTokenLifetimeSec: 13 * 3600 },
    port: 0,
    host: '127.0.0.1',
    // The test page is served by vitest's own server, on another port: a cross-origin caller.
    cors: { origins: ['*'] },
    // The uplink tests retry every 20 ms; a 429 is not what they test.
    rateLimit: false,
    retrainEvery: 0,
    published: PUBLISHED_MODELS,
  });

  const watch = watchFeedback(server.server);

  const control: ServerControl = {
    url: server.url,
    async publish(name, bytes, tags) {
      const artifact = Uint8Array.from(bytes);
      const model = await runtime.loadBytes(artifact);
      const { inputWidth, classes } = model;
      await model.dispose();
      const manifest = await registry.register({
        name,
        artifact: { format: 'onnx', bytes: artifact },
        inputWidth,
        classes,
        ...(tags === undefined ? {} : { tags }),
      });
      await registry.setAlias(name, 'champion', manifest.version);
      return { version: manifest.version, sha256: await sha256Hex(artifact) };
    },
    async feedbackLog() {
      const accepted: FeedbackLog['accepted'] = {};
      for (const example of await store.examples()) {
        if (example.provenance.origin !== 'feedback' || example.target.kind !== 'hard') continue;
        accepted[example.provenance.itemId] = { features: Array.from(example.x), label: example.target.label };
      }
      return { accepted, deliveries: Object.fromEntries(watch.deliveries), bodies: [...watch.bodies] };
    },
    dropFeedbackAnswers(count) {
      watch.dropAnswers(count);
    },
    async onnxNode(bytes, x, rows) {
      const model = await runtime.loadBytes(Uint8Array.from(bytes));
      try {
        return Array.from(await model.run(new Float32Array(x), rows));
      } finally {
        await model.dispose();
      }
    },
    async nodeEngineEvents(proposer, critic, batches) {
      const nodeEngine = createEngine({
        proposer: await runtime.loadBytes(Uint8Array.from(proposer), { name: 'proposer', version: '1' }),
        critics: [await runtime.loadBytes(Uint8Array.from(critic), { name: 'critic', version: '1' })],
      });
      const events: EventView[] = [];
      nodeEngine.on('dissonance', (event: DissonanceEvent) =>
        events.push({ ids: event.ids, values: Array.from(event.values), detector: event.detector }),
      );
      await nodeEngine.ready();
      for (const batch of batches)
        await nodeEngine.process({ x: new Float32Array(batch.x), rows: batch.rows, ids: batch.ids });
      await nodeEngine.stop();
      return events;
    },
    async pythonFixtures() {
      const dir = mkdtempSync(join(tmpdir(), 'dissonance-web-fixtures-'));
      try {
        const python =
          execFileSync('bash', ['scripts/python-env.sh'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop() ??
          '';
        execFileSync(python, ['scripts/python/onnx_fixtures.py', dir], { cwd: ROOT, stdio: 'ignore' });
        const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { fixtures: string[] };
        const fixtures: PythonFixture[] = [];
        for (const name of PYTHON_FIXTURES.filter((n) => manifest.fixtures.includes(n))) {
          const fixture = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
            outputKind: string;
            inputs: number[][];
            probabilities: number[][];
          };
          const bytes = Array.from(readFileSync(join(dir, `${name}.onnx`)));
          const { version } = await control.publish(`fixture-${name}`, bytes);
          const fromNode = await control.onnxNode(bytes, fixture.inputs.flat(), fixture.inputs.length);
          fixtures.push({
            name,
            outputKind: fixture.outputKind,
            inputs: fixture.inputs,
            probabilities: fixture.probabilities,
            fromNode,
            version,
          });
        }
        // The CNN on [N, 1, 8, 8]: served from row-major rows of 64 values.
        execFileSync(python, ['scripts/python/onnx_shape_fixtures.py', join(dir, 'shapes')], {
          cwd: ROOT,
          stdio: 'ignore',
        });
        const shapes = JSON.parse(readFileSync(join(dir, 'shapes', 'manifest.json'), 'utf8')) as {
          cnn: { inputs: number[][]; probabilities: number[][] };
        };
        for (const name of SHAPE_FIXTURES) {
          const bytes = Array.from(readFileSync(join(dir, 'shapes', `${name}.onnx`)));
          const { version } = await control.publish(`fixture-${name}`, bytes);
          const { inputs, probabilities } = shapes.cnn;
          const fromNode = await control.onnxNode(bytes, inputs.flat(), inputs.length);
          fixtures.push({ name, outputKind: 'logits', inputs, probabilities, fromNode, version });
        }
        return fixtures;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  setServerControl(control);
  project.provide('dissonanceServer', { url: server.url, token });

  return async () => {
    setServerControl(undefined);
    await server.close();
    await engine.stop();
  };
}
