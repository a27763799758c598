import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  MemoryStore,
  type Engine,
  type LoadedModel,
  type ModelRuntime,
} from '@dissonance/core';
import { serve, type RunningServer, type ServeOptions } from '../../src/http/index.js';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'dissonance-test';
export const WIDTH = 4;
export const CLASSES = 2;

/** A two-class model of 4 features: class 1 when the sum is positive. */
export function sumModel(name: string, version = '0', sharpness = 1): FunctionModel {
  return new FunctionModel({
    name,
    version,
    inputWidth: WIDTH,
    classes: CLASSES,
    artifact: { format: 'json', bytes: new TextEncoder().encode(JSON.stringify({ kind: 'sum', sharpness })) },
    run: (x, rows) => {
      const out = new Float32Array(rows * CLASSES);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < WIDTH; c++) s += x[r * WIDTH + c]!;
        const p = 1 / (1 + Math.exp(-sharpness * s));
        out[r * CLASSES] = 1 - p;
        out[r * CLASSES + 1] = p;
      }
      return out;
    },
  });
}

/** Loads the `json` artifacts of {@link sumModel}. */
export const sumRuntime: ModelRuntime = {
  name: 'sum',
  supports: (format) => format === 'json',
  load: async (artifact, info) => {
    const { sharpness } = JSON.parse(new TextDecoder().decode(artifact.bytes)) as { sharpness: number };
    return sumModel(info.name, info.version, sharpness);
  },
};

/** A key pair and a token signer for tests. */
export interface Signer {
  readonly publicKey: CryptoKey;
  sign(
    claims: JWTPayload & { scope?: string },
    options?: { iss?: string; aud?: string; exp?: number | string; alg?: string; iat?: number },
  ): Promise<string>;
}

export async function createSigner(): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return {
    publicKey,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(options.iss ?? ISSUER)
        .setAudience(options.aud ?? AUDIENCE)
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'alice')
        .setIssuedAt(options.iat)
        .setExpirationTime(options.exp ?? '10m')
        .sign(privateKey),
  };
}

/** An engine over {@link sumModel}, with a critic, in memory. */
export async function createTestEngine(critic: LoadedModel = sumModel('critic', '0', 2)): Promise<Engine> {
  const engine = createEngine({
    modelName: 'toy',
    proposer: sumModel('toy'),
    critics: [critic],
    runtime: sumRuntime,
    registry: new MemoryRegistry(),
    store: new MemoryStore(),
    retrain: { everyExamples: 0 },
  });
  await engine.ready();
  return engine;
}

/** Starts a server on a free port over a fresh test engine. */
export async function startTestServer(
  signer: Signer,
  overrides: Partial<ServeOptions> = {},
): Promise<{ server: RunningServer; engine: Engine; close: () => Promise<void> }> {
  const engine = overrides.engine === undefined ? await createTestEngine() : (overrides.engine as Engine);
  const server = await serve({
    engine,
    auth: { issuer: ISSUER, audience: AUDIENCE, key: signer.publicKey },
    port: 0,
    ...overrides,
  });
  return {
    server,
    engine,
    close: async () => {
      await server.close();
      await engine.stop();
    },
  };
}

/** Base64url of a JSON value. */
export function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Asserts nothing in an error body looks like a stack trace. */
export function noStack(text: string): boolean {
  return !/\bat .+\(.+:\d+:\d+\)|\.ts:\d+|node:internal/.test(text);
}
