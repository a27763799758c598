import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnvelopeCipher,
  createArtifactVerifier,
  generateEncryptionKey,
  generateSigningKeyPair,
  signArtifact,
  staticKeyProvider,
  type ArtifactSignature,
  type SigningKeyPair,
} from '../../src/index.js';
import { onnxMlp } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const CORE_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** The module the page loads. */
type Core = typeof import('../../src/index.js');

/** What the page reports for one artifact: resolved, or the error's code and reason. */
interface Outcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly reason?: string;
}

/** Bundles `@dissonance/core`'s entry (and its dependencies) into one ES module, as a page would load it. */
async function bundleCore(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry: CORE_ENTRY, formats: ['es'], fileName: 'core' } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk' && o.isEntry);
  if (chunk === undefined || chunk.type !== 'chunk') throw new Error('vite produced no entry chunk');
  return chunk.code;
}

describe("core's artifact verification in Chromium", () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let trusted: SigningKeyPair;
  let stranger: SigningKeyPair;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (as root).`);
    const code = await bundleCore();
    server = createServer((req, res) => {
      if (req.url === '/core.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>verify</title>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    // A module script as an application would load it; the functions below reach it through `globalThis`.
    await page.addScriptTag({
      type: 'module',
      content: "import * as core from '/core.js'; globalThis.dissonanceCore = core;",
    });
    await page.waitForFunction(() => 'dissonanceCore' in globalThis);
    trusted = await generateSigningKeyPair();
    stranger = await generateSigningKeyPair();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Runs core's verifier inside the page on `bytes` with `signature`, trusting `trusted`'s public key. */
  function verifyInPage(bytes: Uint8Array, signature: ArtifactSignature | undefined): Promise<Outcome> {
    return page.evaluate(
      async ({ publicKey, bytes, signature }) => {
        const core = (globalThis as unknown as { dissonanceCore: Core }).dissonanceCore;
        const verifier = core.createArtifactVerifier({ keys: [publicKey] });
        try {
          await verifier.verify(
            { format: 'onnx', bytes: new Uint8Array(bytes) },
            signature ?? undefined,
            'browser artifact',
          );
          return { ok: true };
        } catch (error) {
          const e = error as { code?: string; details?: { reason?: string } };
          return { ok: false, code: e.code, reason: e.details?.reason };
        }
      },
      { publicKey: trusted.publicKey, bytes: Array.from(bytes), signature: signature ?? null },
    );
  }

  it('accepts a signed artifact and refuses tampered, unsigned and wrong-key ones, as in Node', async () => {
    const bytes = onnxMlp(4);
    const { signature } = await signArtifact({ format: 'onnx', bytes }, trusted.privateKey);
    const tampered = bytes.slice();
    tampered[30] = (tampered[30] ?? 0) ^ 1;
    const wrongKey = (await signArtifact({ format: 'onnx', bytes }, stranger.privateKey)).signature;

    expect(await verifyInPage(bytes, signature)).toEqual({ ok: true });
    expect(await verifyInPage(tampered, signature)).toEqual({
      ok: false,
      code: 'E_ARTIFACT_SIGNATURE',
      reason: 'mismatch',
    });
    expect(await verifyInPage(bytes, undefined)).toEqual({
      ok: false,
      code: 'E_ARTIFACT_SIGNATURE',
      reason: 'unsigned',
    });
    expect(await verifyInPage(bytes, wrongKey)).toEqual({
      ok: false,
      code: 'E_ARTIFACT_SIGNATURE',
      reason: 'untrusted-key',
    });
    expect(await verifyInPage(bytes, { ...wrongKey, keyId: trusted.keyId })).toEqual({
      ok: false,
      code: 'E_ARTIFACT_SIGNATURE',
      reason: 'mismatch',
    });
  });

  it('a signature made in Chromium verifies in Node (same canonical statement on both sides)', async () => {
    const bytes = onnxMlp(5);
    const signature = await page.evaluate(
      async ({ privateKey, bytes }) => {
        const core = (globalThis as unknown as { dissonanceCore: Core }).dissonanceCore;
        return (await core.signArtifact({ format: 'onnx', bytes: new Uint8Array(bytes) }, privateKey)).signature;
      },
      { privateKey: trusted.privateKey, bytes: Array.from(bytes) },
    );
    await expect(
      createArtifactVerifier({ keys: [trusted.publicKey] }).verify({ format: 'onnx', bytes }, signature),
    ).resolves.toBeUndefined();
  });

  it('envelopes sealed in Chromium open in Node and back; a flipped byte is E_DECRYPT there too', async () => {
    const key = generateEncryptionKey();
    const node = new EnvelopeCipher(staticKeyProvider([['k1', key]]));
    const fromNode = await node.seal(Uint8Array.of(1, 2, 3, 4));
    const result = await page.evaluate(
      async ({ key, fromNode }) => {
        const core = (globalThis as unknown as { dissonanceCore: Core }).dissonanceCore;
        const cipher = new core.EnvelopeCipher(core.staticKeyProvider([['k1', new Uint8Array(key)]]));
        const opened = Array.from(await cipher.open(new Uint8Array(fromNode)));
        const damaged = new Uint8Array(fromNode);
        damaged[damaged.length - 3] = (damaged[damaged.length - 3] ?? 0) ^ 1;
        const code = await cipher.open(damaged).then(
          () => 'opened',
          (error: { code?: string }) => error.code,
        );
        return { opened, code, sealed: Array.from(await cipher.seal(Uint8Array.of(9, 8, 7))) };
      },
      { key: Array.from(key), fromNode: Array.from(fromNode) },
    );
    expect(result.opened).toEqual([1, 2, 3, 4]);
    expect(result.code).toBe('E_DECRYPT');
    expect(Array.from(await node.open(new Uint8Array(result.sealed)))).toEqual([9, 8, 7]);
  });
});
