/**
 * @dissonance/browser in Chromium: the engine on onnxruntime-web against the same engine in Node, core's
 * store contract on IndexedDbStore, and the champion pull (hot swap, check hook, signatures) from the real
 * HTTP server.
 */
import * as core from '@dissonance/core';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { storeContract } from '@dissonance/core/testing';
import { commands } from 'vitest/browser';
import { describe, expect, inject, it } from 'vitest';
import * as browser from '../src/index.js';
import { inFreshRealm } from './fresh-realm.js';
import type { EventView } from './server/published.js';

const WIDTH = 16;
const CLASSES = 4;
const proposerBytes = writeOnnxMlp(initMlp({ inputWidth: WIDTH, hidden: [12], classes: CLASSES, seed: 3 }));
const criticBytes = writeOnnxMlp(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 11 }));
const { url: SERVER, token } = inject('dissonanceServer');

/** Four batches of 32 deterministic rows, with ids. */
function batches(): Array<{ x: number[]; rows: number; ids: string[] }> {
  return Array.from({ length: 4 }, (_, b) => ({
    x: Array.from({ length: 32 * WIDTH }, (_, i) => 2.5 * Math.sin(b * 17 + 0.91 * i)),
    rows: 32,
    ids: Array.from({ length: 32 }, (_, r) => `b${b}-r${r}`),
  }));
}

// Core's store contract, run by vitest itself in this page against IndexedDbStore.
storeContract('IndexedDbStore', async ({ capacity }) => {
  const dbName = `contract-${core.randomId()}`;
  const store = await browser.IndexedDbStore.open({ dbName, capacity });
  return {
    store,
    reopen: () => browser.IndexedDbStore.open({ dbName, capacity }),
    cleanup: () => browser.IndexedDbStore.destroy(dbName),
  };
});

describe('@dissonance/browser in Chromium: engine, store and model pull', () => {
  it('computes the same dissonance events in the page (onnxruntime-web) as in Node (onnxruntime-node)', async () => {
    const inNode = await commands.nodeEngineEvents(Array.from(proposerBytes), Array.from(criticBytes), batches());
    const runtime = new browser.OnnxWebRuntime({ executionProvider: 'wasm', wasmPaths: '/ort/' });
    const engine = core.createEngine({
      proposer: await runtime.loadBytes(proposerBytes, { name: 'proposer', version: '1' }),
      critics: [await runtime.loadBytes(criticBytes, { name: 'critic', version: '1' })],
    });
    const inPage: EventView[] = [];
    engine.on('dissonance', (event) =>
      inPage.push({ ids: event.ids, values: Array.from(event.values), detector: event.detector }),
    );
    await engine.ready();
    for (const batch of batches())
      await engine.process({ x: new Float32Array(batch.x), rows: batch.rows, ids: batch.ids });
    await engine.stop();
    expect(inPage.length).toBe(4);
    expect(inPage.map((e) => [e.detector, e.ids])).toEqual(inNode.map((e) => [e.detector, e.ids]));
    const diff = Math.max(...inPage.flatMap((e, b) => e.values.map((v, i) => Math.abs(v - inNode[b]!.values[i]!))));
    console.log(`dissonance: ${inPage.length} events × 32 rows, max |page − node| = ${diff}`);
    expect(diff).toBeLessThanOrEqual(1e-5);
    expect(inNode.flatMap((e) => e.values).some((v) => v > 0)).toBe(true);
  });

  it('keeps examples, values and audit of an IndexedDbStore across a page reload', async () => {
    const dbName = `reload-${Date.now()}`;
    // Written in one document, read back in another: the page reloaded in between.
    await inFreshRealm(async (browser, dbName) => {
      const store = await browser.IndexedDbStore.open({ dbName, capacity: 2 });
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
    const after = await inFreshRealm(async (browser, dbName) => {
      const store = await browser.IndexedDbStore.open({ dbName, capacity: 2 });
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
      await browser.IndexedDbStore.destroy(dbName);
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
    const name = 'pulled';
    await commands.publishModel(name, Array.from(proposerBytes));
    const runtime = new browser.OnnxWebRuntime({ executionProvider: 'wasm', wasmPaths: '/ort/' });
    const verified: string[] = [];
    const follower = new browser.ChampionFollower(runtime, {
      url: SERVER,
      name,
      token,
      check: async (_bytes, champion) => {
        verified.push(champion.version);
        if (champion.version === '3') throw new Error('refused by check');
      },
    });
    const swaps: string[] = [];
    follower.onSwap((model, _champion, previous) => swaps.push(`${previous?.version ?? '-'}→${model.version}`));
    const changed = await follower.refresh();
    const again = await follower.refresh();
    expect({ changed, again, version: follower.current?.version, swaps: [...swaps], verified: [...verified] }).toEqual({
      changed: true,
      again: false,
      version: '1',
      swaps: ['-→1'],
      verified: ['1'],
    });

    await commands.publishModel(name, Array.from(criticBytes));
    const before = follower.current!;
    const pending = before.run(new Float32Array(16), 1);
    const changed2 = await follower.refresh();
    const inFlight = (await pending).length;
    const after = await follower.current!.run(new Float32Array(16), 1);
    expect({
      changed: changed2,
      version: follower.current?.version,
      inFlight,
      after: after.length,
      swaps: [...swaps],
    }).toEqual({
      changed: true,
      version: '2',
      inFlight: CLASSES,
      after: CLASSES,
      swaps: ['-→1', '1→2'],
    });

    await commands.publishModel(name, Array.from(proposerBytes));
    const error = await follower.refresh().then(
      () => 'swapped',
      (e: Error) => e.message,
    );
    const version = follower.current?.version;
    await follower.dispose();
    expect({ error, version, verified }).toEqual({
      error: 'refused by check',
      version: '2',
      verified: ['1', '2', '3'],
    });
  });

  it("verifies signatures with core's trust policy: signed pulls load, unsigned, untrusted and tampered ones are refused", async () => {
    const name = 'signed';
    const trusted = await core.generateSigningKeyPair();
    const other = await core.generateSigningKeyPair();
    const sign = async (bytes: Uint8Array, key: typeof trusted) =>
      core.signatureTags((await core.signArtifact({ format: 'onnx', bytes }, key.privateKey)).signature);
    const publish = async (bytes: Uint8Array, tags?: Record<string, string>) =>
      void (await commands.publishModel(name, Array.from(bytes), tags));
    const follower = new browser.ChampionFollower(
      new browser.OnnxWebRuntime({ executionProvider: 'wasm', wasmPaths: '/ort/' }),
      {
        url: SERVER,
        name,
        token,
        trust: { keys: [trusted.publicKey] },
      },
    );
    const pull = async () => {
      const outcome = await follower.refresh().then(
        (changed) => (changed ? 'swapped' : 'same'),
        (error: { code?: string; details?: { reason?: string } }) =>
          `${error.code ?? '?'}/${error.details?.reason ?? '?'}`,
      );
      return { outcome, version: follower.current?.version };
    };
    await publish(proposerBytes, await sign(proposerBytes, trusted));
    expect(await pull()).toEqual({ outcome: 'swapped', version: '1' });
    await publish(criticBytes);
    expect(await pull()).toEqual({ outcome: 'E_ARTIFACT_SIGNATURE/unsigned', version: '1' });
    await publish(criticBytes, await sign(criticBytes, other));
    expect(await pull()).toEqual({ outcome: 'E_ARTIFACT_SIGNATURE/untrusted-key', version: '1' });
    await publish(criticBytes, await sign(proposerBytes, trusted));
    expect(await pull()).toEqual({ outcome: 'E_ARTIFACT_SIGNATURE/mismatch', version: '1' });
    await publish(criticBytes, await sign(criticBytes, trusted));
    expect(await pull()).toEqual({ outcome: 'swapped', version: '5' });
    await follower.dispose();
  });
});
