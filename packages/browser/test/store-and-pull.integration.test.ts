import {
  createEngine,
  generateSigningKeyPair,
  signArtifact,
  signatureTags,
  type DissonanceEvent,
} from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { OnnxNodeRuntime } from '@dissonance/node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageApi } from './browser/harness.js';
import { openHarness, type Harness } from './browser/open-harness.js';
import type { TestServer } from './browser/test-server.js';

declare const dissonance: PageApi;

const WIDTH = 16;
const CLASSES = 4;
const proposerBytes = writeOnnxMlp(initMlp({ inputWidth: WIDTH, hidden: [12], classes: CLASSES, seed: 3 }));
const criticBytes = writeOnnxMlp(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 11 }));

/** Four batches of 32 deterministic rows, with ids. */
function batches(): Array<{ x: number[]; rows: number; ids: string[] }> {
  return Array.from({ length: 4 }, (_, b) => ({
    x: Array.from({ length: 32 * WIDTH }, (_, i) => 2.5 * Math.sin(b * 17 + 0.91 * i)),
    rows: 32,
    ids: Array.from({ length: 32 }, (_, r) => `b${b}-r${r}`),
  }));
}

/** The comparable part of a dissonance event. */
interface EventView {
  readonly ids: readonly string[];
  readonly values: number[];
  readonly detector: string;
}

describe('@dissonance/browser in Chromium: engine, store and model pull', () => {
  let harness: Harness;
  let server: TestServer;
  let page: Page;

  beforeAll(async () => {
    harness = await openHarness();
    ({ server, page } = harness);
  });

  afterAll(async () => {
    expect(harness?.pageErrors ?? []).toEqual([]);
    await harness?.close();
  });

  it('computes the same dissonance events in the page (onnxruntime-web) as in Node (onnxruntime-node)', async () => {
    const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
    const engine = createEngine({
      proposer: await runtime.loadBytes(proposerBytes, { name: 'proposer', version: '1' }),
      critics: [await runtime.loadBytes(criticBytes, { name: 'critic', version: '1' })],
    });
    const inNode: EventView[] = [];
    engine.on('dissonance', (event: DissonanceEvent) => inNode.push({ ids: event.ids, values: Array.from(event.values), detector: event.detector }));
    await engine.ready();
    for (const batch of batches()) await engine.process({ x: new Float32Array(batch.x), rows: batch.rows, ids: batch.ids });
    await engine.stop();

    const inPage = await page.evaluate(
      async ({ proposer, critic, batches }) => {
        const { browser, core } = dissonance;
        const runtime = new browser.OnnxWebRuntime({ executionProvider: 'wasm', wasmPaths: '/ort/' });
        const engine = core.createEngine({
          proposer: await runtime.loadBytes(new Uint8Array(proposer), { name: 'proposer', version: '1' }),
          critics: [await runtime.loadBytes(new Uint8Array(critic), { name: 'critic', version: '1' })],
        });
        const events: Array<{ ids: readonly string[]; values: number[]; detector: string }> = [];
        engine.on('dissonance', (event) => events.push({ ids: event.ids, values: Array.from(event.values), detector: event.detector }));
        await engine.ready();
        for (const batch of batches) await engine.process({ x: new Float32Array(batch.x), rows: batch.rows, ids: batch.ids });
        await engine.stop();
        return events;
      },
      { proposer: Array.from(proposerBytes), critic: Array.from(criticBytes), batches: batches() },
    );
    expect(inPage.length).toBe(4);
    expect(inPage.map((e) => [e.detector, e.ids])).toEqual(inNode.map((e) => [e.detector, e.ids]));
    const diff = Math.max(...inPage.flatMap((e, b) => e.values.map((v, i) => Math.abs(v - inNode[b]!.values[i]!))));
    console.log(`dissonance: ${inPage.length} events × 32 rows, max |page − node| = ${diff}`);
    expect(diff).toBeLessThanOrEqual(1e-5);
    expect(inNode.flatMap((e) => e.values).some((v) => v > 0)).toBe(true);
  });

  it("passes core's storeContract with IndexedDbStore (in the page, vitest matchers shimmed)", async () => {
    const results = await page.evaluate(() => dissonance.runStoreContract());
    for (const result of results) console.log(`  ${result.status}: ${result.name}${result.error === undefined ? '' : `\n${result.error}`}`);
    expect(results.length).toBe(8);
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
  });

  it('keeps examples, values and audit of an IndexedDbStore across a page reload', async () => {
    const dbName = `reload-${Date.now()}`;
    await page.evaluate(async (dbName) => {
      const store = await dissonance.browser.IndexedDbStore.open({ dbName, capacity: 2 });
      const example = (id: string, v: number) => ({
        id,
        x: new Float32Array([v, -0]),
        target: { kind: 'hard' as const, label: 1 },
        weight: 1,
        provenance: { itemId: id, origin: 'feedback' as const, dissonance: 0.4, proposerVersion: '1', at: 1 },
      });
      await store.appendExamples([example('a', 1), example('b', 2), example('c', 3)]);
      await store.setValue('policy', { dTarget: 0.12 });
      await store.appendAudit({ at: 5, who: 'page', action: 'policy.update' });
      await store.close();
    }, dbName);
    await harness.reload();
    const after = await page.evaluate(async (dbName) => {
      const store = await dissonance.browser.IndexedDbStore.open({ dbName, capacity: 2 });
      const out = {
        examples: (await store.examples()).map((e) => [e.id, ...Array.from(e.x, (v) => (Object.is(v, -0) ? '-0' : v))]),
        policy: await store.getValue('policy'),
        audit: await store.audit(),
      };
      await store.close();
      const closed = await store.countExamples().then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      );
      await dissonance.browser.IndexedDbStore.destroy(dbName);
      return { ...out, closed };
    }, dbName);
    expect(after).toEqual({
      examples: [
        ['b', 2, '-0'],
        ['c', 3, '-0'],
      ],
      policy: { dTarget: 0.12 },
      audit: [{ at: 5, who: 'page', action: 'policy.update' }],
      closed: 'E_STORE',
    });
  });

  it('pulls the champion (digest checked, check hook run), hot-swaps on a new version and keeps serving on a bad one', async () => {
    const name = `pulled-${Date.now()}`;
    server.publish(name, proposerBytes);
    const first = await page.evaluate(
      async ({ url, name }) => {
        const { browser } = dissonance;
        const runtime = new browser.OnnxWebRuntime({ executionProvider: 'wasm', wasmPaths: '/ort/' });
        const verified: string[] = [];
        const follower = new browser.ChampionFollower(runtime, {
          url,
          name,
          check: async (_bytes, champion) => {
            verified.push(champion.version);
            if (champion.version === '3') throw new Error('refused by check');
          },
        });
        const swaps: string[] = [];
        follower.onSwap((model, _champion, previous) => swaps.push(`${previous?.version ?? '-'}→${model.version}`));
        (globalThis as { follower?: unknown; verified?: string[]; swaps?: string[] }).follower = follower;
        Object.assign(globalThis, { verified, swaps });
        const changed = await follower.refresh();
        const again = await follower.refresh();
        return { changed, again, version: follower.current?.version, swaps, verified };
      },
      { url: server.url, name },
    );
    expect(first).toEqual({ changed: true, again: false, version: '1', swaps: ['-→1'], verified: ['1'] });

    server.publish(name, criticBytes);
    const second = await page.evaluate(async () => {
      const g = globalThis as unknown as { follower: InstanceType<PageApi['browser']['ChampionFollower']>; swaps: string[] };
      const before = g.follower.current!;
      const pending = before.run(new Float32Array(16), 1);
      const changed = await g.follower.refresh();
      const inFlight = (await pending).length;
      const after = await g.follower.current!.run(new Float32Array(16), 1);
      return { changed, version: g.follower.current?.version, inFlight, after: after.length, swaps: g.swaps };
    });
    expect(second).toEqual({ changed: true, version: '2', inFlight: CLASSES, after: CLASSES, swaps: ['-→1', '1→2'] });

    server.publish(name, proposerBytes);
    const third = await page.evaluate(async () => {
      const g = globalThis as unknown as { follower: InstanceType<PageApi['browser']['ChampionFollower']>; verified: string[] };
      const error = await g.follower.refresh().then(
        () => 'swapped',
        (e: Error) => e.message,
      );
      const version = g.follower.current?.version;
      await g.follower.dispose();
      return { error, version, verified: g.verified };
    });
    expect(third).toEqual({ error: 'refused by check', version: '2', verified: ['1', '2', '3'] });
  });

  it("verifies signatures with core's trust policy: signed pulls load, unsigned, untrusted and tampered ones are refused", async () => {
    const name = `signed-${Date.now()}`;
    const trusted = await generateSigningKeyPair();
    const other = await generateSigningKeyPair();
    const sign = async (bytes: Uint8Array, key: typeof trusted) => signatureTags((await signArtifact({ format: 'onnx', bytes }, key.privateKey)).signature);
    server.publish(name, proposerBytes, await sign(proposerBytes, trusted));
    const pull = () =>
      page.evaluate(
        async ({ url, name, publicKey }) => {
          const { browser } = dissonance;
          const g = globalThis as { signedFollower?: InstanceType<typeof browser.ChampionFollower> };
          g.signedFollower ??= new browser.ChampionFollower(new browser.OnnxWebRuntime({ executionProvider: 'wasm', wasmPaths: '/ort/' }), {
            url,
            name,
            trust: { keys: [publicKey] },
          });
          const outcome = await g.signedFollower.refresh().then(
            (changed) => (changed ? 'swapped' : 'same'),
            (error: { code?: string; details?: { reason?: string } }) => `${error.code ?? '?'}/${error.details?.reason ?? '?'}`,
          );
          return { outcome, version: g.signedFollower.current?.version };
        },
        { url: server.url, name, publicKey: trusted.publicKey },
      );
    expect(await pull()).toEqual({ outcome: 'swapped', version: '1' });
    server.publish(name, criticBytes);
    expect(await pull()).toEqual({ outcome: 'E_ARTIFACT_SIGNATURE/unsigned', version: '1' });
    server.publish(name, criticBytes, await sign(criticBytes, other));
    expect(await pull()).toEqual({ outcome: 'E_ARTIFACT_SIGNATURE/untrusted-key', version: '1' });
    server.publish(name, criticBytes, await sign(proposerBytes, trusted));
    expect(await pull()).toEqual({ outcome: 'E_ARTIFACT_SIGNATURE/mismatch', version: '1' });
    server.publish(name, criticBytes, await sign(criticBytes, trusted));
    expect(await pull()).toEqual({ outcome: 'swapped', version: '5' });
  });
});
