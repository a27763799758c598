/**
 * Security bench: what encryption at rest and signature checks cost, each against the same work without them,
 * measured in the same run.
 *
 *   npx tsx bench/security/index.ts [--repeats 5] [--appends 200] [--json]
 *
 * 1. FileStore appends (fsync'd) of batches of 32 examples × 64 features, plaintext vs AES-256-GCM: median
 *    appends/s over `repeats` alternating runs, and the ratio.
 * 2. FileStore open (load and, when encrypted, decrypt every line) of the store written in 1.
 * 3. Champion checks on ONNX MLPs of about 1 MB and 32 MB: the registry's sha256 alone vs the trust policy's
 *    full check (sha256, Ed25519 signature, ONNX structure walk): median ms and the ratio.
 * 4. EnvelopeCipher seal and open throughput on 1 MB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EnvelopeCipher,
  createArtifactVerifier,
  generateEncryptionKey,
  generateSigningKeyPair,
  signArtifact,
  staticKeyProvider,
  type TrainingExample,
} from '../../packages/core/src/index.js';
import { initMlp, writeOnnxMlp } from '../../packages/core/src/mlp.js';
import { sha256Hex } from '../../packages/core/src/adapter-kit/index.js';
import { FileStore } from '../../packages/node/src/files/file-store.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const REPEATS = option('repeats', 5);
const APPENDS = option('appends', 200);
const JSON_OUT = argv.includes('--json');
const log = (line: string): void => {
  if (JSON_OUT) process.stderr.write(`${line}\n`);
  else console.log(line);
};
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const keys = staticKeyProvider([['bench', generateEncryptionKey()]]);

function batch(n: number): TrainingExample[] {
  return Array.from({ length: 32 }, (_, i) => ({
    id: `b${n}-${i}`,
    x: Float32Array.from({ length: 64 }, (_, j) => Math.sin(n * 64 + i * 7 + j)),
    target: { kind: 'hard' as const, label: i % 10 },
    weight: 1,
    provenance: { itemId: `b${n}-${i}`, origin: 'oracle' as const, dissonance: 0.2, proposerVersion: '1', at: 0 },
  }));
}

async function storeRun(encrypted: boolean): Promise<{ appendsPerSecond: number; openMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'dissonance-bench-security-'));
  try {
    const options = { dir, capacity: APPENDS * 32, ...(encrypted ? { encryption: keys } : {}) };
    const store = await FileStore.open(options);
    const batches = Array.from({ length: APPENDS }, (_, n) => batch(n));
    const start = performance.now();
    for (const b of batches) await store.appendExamples(b);
    const appendsPerSecond = APPENDS / ((performance.now() - start) / 1000);
    await store.close();
    const openStart = performance.now();
    const again = await FileStore.open(options);
    const openMs = performance.now() - openStart;
    await again.close();
    return { appendsPerSecond, openMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const results: Record<string, unknown> = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  repeats: REPEATS,
  appends: APPENDS,
};

log(`security bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${REPEATS} repeats`);
await storeRun(false);
await storeRun(true);
const plain: { appendsPerSecond: number; openMs: number }[] = [];
const enc: { appendsPerSecond: number; openMs: number }[] = [];
for (let r = 0; r < REPEATS; r++) {
  plain.push(await storeRun(false));
  enc.push(await storeRun(true));
}
const store = {
  plainAppendsPerSecond: median(plain.map((p) => p.appendsPerSecond)),
  encryptedAppendsPerSecond: median(enc.map((p) => p.appendsPerSecond)),
  plainOpenMs: median(plain.map((p) => p.openMs)),
  encryptedOpenMs: median(enc.map((p) => p.openMs)),
};
results.store = {
  ...store,
  appendRatio: store.encryptedAppendsPerSecond / store.plainAppendsPerSecond,
  openRatio: store.encryptedOpenMs / store.plainOpenMs,
};
log(
  `FileStore appends (32 × 64 per batch, fsync'd): plaintext ${store.plainAppendsPerSecond.toFixed(0)}/s, encrypted ` +
    `${store.encryptedAppendsPerSecond.toFixed(0)}/s → ratio ${(store.encryptedAppendsPerSecond / store.plainAppendsPerSecond).toFixed(2)}`,
);
log(
  `FileStore open of ${APPENDS} batches: plaintext ${store.plainOpenMs.toFixed(1)} ms, encrypted ${store.encryptedOpenMs.toFixed(1)} ms → ` +
    `×${(store.encryptedOpenMs / store.plainOpenMs).toFixed(2)}`,
);

const pair = await generateSigningKeyPair();
const verifier = createArtifactVerifier({ keys: [pair.publicKey] });
const checks: Record<string, unknown>[] = [];
for (const [inputWidth, hidden] of [
  [512, 512],
  [2048, 4096],
] as const) {
  const bytes = writeOnnxMlp(initMlp({ inputWidth, hidden: [hidden], classes: 10, seed: 1 }));
  const artifact = { format: 'onnx', bytes };
  const { signature } = await signArtifact(artifact, pair.privateKey);
  await verifier.verify(artifact, signature);
  const digest: number[] = [];
  const full: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    digest.push(await timeMs(() => sha256Hex(bytes)));
    full.push(await timeMs(() => verifier.verify(artifact, signature)));
  }
  const row = { megabytes: bytes.length / 2 ** 20, sha256Ms: median(digest), trustPolicyMs: median(full) };
  checks.push({ ...row, ratio: row.trustPolicyMs / row.sha256Ms });
  log(
    `champion check on ${row.megabytes.toFixed(1)} MB: sha256 ${row.sha256Ms.toFixed(2)} ms, trust policy ` +
      `${row.trustPolicyMs.toFixed(2)} ms → ×${(row.trustPolicyMs / row.sha256Ms).toFixed(2)}`,
  );
}
results.championChecks = checks;

const cipher = new EnvelopeCipher(keys);
const megabyte = globalThis.crypto.getRandomValues(new Uint8Array(2 ** 16));
const plainMb = new Uint8Array(2 ** 20);
for (let i = 0; i < 16; i++) plainMb.set(megabyte, i * 2 ** 16);
const sealed = await cipher.seal(plainMb);
const seal: number[] = [];
const open: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  seal.push(await timeMs(() => cipher.seal(plainMb)));
  open.push(await timeMs(() => cipher.open(sealed)));
}
results.cipher = { sealMBps: 1000 / median(seal), openMBps: 1000 / median(open) };
log(
  `AES-256-GCM envelope on 1 MB: seal ${(1000 / median(seal)).toFixed(0)} MB/s, open ${(1000 / median(open)).toFixed(0)} MB/s`,
);
if (JSON_OUT) console.log(JSON.stringify(results, null, 2));
