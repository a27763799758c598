import { describe, expect, it } from 'vitest';
import {
  createArtifactVerifier,
  generateSigningKeyPair,
  importSigningKey,
  importVerifyKey,
  signArtifact,
  signatureTags,
  type ModelArtifact,
} from '../../src/index.js';
import { SIGNATURE_KEY_ID_TAG, SIGNATURE_TAG, signatureFromTags } from '../../src/adapter-kit/index.js';
import { statementBytes } from '../../src/security/artifact-signature.js';
import { expectCode } from '../../src/testing/index.js';
import { onnxMlp } from './fixtures.js';

const artifact = (seed = 1): ModelArtifact => ({ format: 'onnx', bytes: onnxMlp(seed) });

async function reasonOf(
  work: Promise<unknown>,
  code: 'E_ARTIFACT_SIGNATURE' | 'E_MODEL' = 'E_ARTIFACT_SIGNATURE',
): Promise<unknown> {
  const error = (await expectCode(work, code)) as Error & { details: { reason?: unknown } };
  return error.details.reason;
}

describe('Ed25519 signed artifacts', () => {
  it('a generated key pair has a stable key id derived from the public key, in both JWKs', async () => {
    const pair = await generateSigningKeyPair();
    expect(pair.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(pair.privateKey.kid).toBe(pair.keyId);
    expect(pair.publicKey.kid).toBe(pair.keyId);
    expect(pair.publicKey.d).toBeUndefined();
    expect((await importSigningKey(pair.privateKey)).keyId).toBe(pair.keyId);
    expect((await importVerifyKey(pair.publicKey)).keyId).toBe(pair.keyId);
    expect((await importVerifyKey(JSON.stringify(pair.publicKey))).keyId).toBe(pair.keyId);
  });

  it('signs the canonical statement of format, sha256 and size', async () => {
    const pair = await generateSigningKeyPair();
    const signed = await signArtifact(artifact(), pair.privateKey);
    expect(signed.signature.keyId).toBe(pair.keyId);
    expect(signed.size).toBe(artifact().bytes.length);
    const text = new TextDecoder().decode(
      statementBytes({
        v: 1,
        alg: 'Ed25519',
        keyId: pair.keyId,
        format: 'onnx',
        sha256: signed.sha256,
        size: signed.size,
      }),
    );
    expect(text).toBe(
      `{"alg":"Ed25519","format":"onnx","keyId":"${pair.keyId}","sha256":"${signed.sha256}","size":${signed.size},"v":1}`,
    );
    expect(signatureFromTags(signatureTags(signed.signature))).toEqual(signed.signature);
    expect(signatureFromTags({ decision: 'accepted' })).toBeUndefined();
  });

  it('a trust policy accepts a signed artifact and refuses unsigned, tampered and wrong-key ones', async () => {
    const trusted = await generateSigningKeyPair();
    const stranger = await generateSigningKeyPair();
    const verifier = createArtifactVerifier({ keys: [trusted.publicKey] });
    expect(verifier.require).toBe(true);
    expect(await verifier.keyIds()).toEqual([trusted.keyId]);
    const good = artifact();
    const { signature } = await signArtifact(good, trusted.privateKey);
    await expect(verifier.verify(good, signature)).resolves.toBeUndefined();

    expect(await reasonOf(verifier.verify(good, undefined))).toBe('unsigned');
    for (const at of [0, 10, good.bytes.length - 1]) {
      const tampered = good.bytes.slice();
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect(await reasonOf(verifier.verify({ format: 'onnx', bytes: tampered }, signature))).toBe('mismatch');
    }
    // Another valid model under the first one's signature.
    expect(await reasonOf(verifier.verify(artifact(2), signature))).toBe('mismatch');
    const byStranger = (await signArtifact(good, stranger.privateKey)).signature;
    expect(await reasonOf(verifier.verify(good, byStranger))).toBe('untrusted-key');
    // A stranger's signature that claims the trusted key id.
    expect(await reasonOf(verifier.verify(good, { ...byStranger, keyId: trusted.keyId }))).toBe('mismatch');
    expect(await reasonOf(verifier.verify(good, { ...signature, value: 'AAAA' }))).toBe('malformed');
    // The format is part of what was signed.
    expect(
      await reasonOf(
        createArtifactVerifier({ keys: [trusted.publicKey], formats: ['onnx', 'x'] }).verify(
          { format: 'x', bytes: good.bytes },
          signature,
        ),
      ),
    ).toBe('mismatch');
  });

  it('with require: false an unsigned artifact passes but a bad signature still fails', async () => {
    const trusted = await generateSigningKeyPair();
    const verifier = createArtifactVerifier({ keys: [trusted.publicKey], require: false });
    await expect(verifier.verify(artifact(), undefined)).resolves.toBeUndefined();
    const { signature } = await signArtifact(artifact(1), trusted.privateKey);
    expect(await reasonOf(verifier.verify(artifact(2), signature))).toBe('mismatch');
  });

  it('refuses other formats, oversized and non-ONNX artifacts before or besides the signature', async () => {
    const trusted = await generateSigningKeyPair();
    const verifier = createArtifactVerifier({ keys: [trusted.publicKey], maxArtifactBytes: 100_000 });
    const opaque = { format: 'pickle', bytes: new Uint8Array([0x80, 4, 0x95]) };
    expect(
      await reasonOf(verifier.verify(opaque, (await signArtifact(opaque, trusted.privateKey)).signature), 'E_MODEL'),
    ).toBe('format');
    const big = { format: 'onnx', bytes: new Uint8Array(100_001) };
    expect(
      await reasonOf(verifier.verify(big, (await signArtifact(big, trusted.privateKey)).signature), 'E_MODEL'),
    ).toBe('size');
    const junk = { format: 'onnx', bytes: new TextEncoder().encode('{"not":"onnx"}') };
    expect(
      await reasonOf(verifier.verify(junk, (await signArtifact(junk, trusted.privateKey)).signature), 'E_MODEL'),
    ).toBe('not-onnx');
  });

  it('rejects bad policies and key material with E_CONFIG', async () => {
    const pair = await generateSigningKeyPair();
    await expectCode(() => createArtifactVerifier({ keys: [] }), 'E_CONFIG');
    await expectCode(() => createArtifactVerifier({ keys: [pair.publicKey], maxArtifactBytes: 0 }), 'E_CONFIG');
    await expectCode(importVerifyKey('not a key'), 'E_CONFIG');
    await expectCode(importVerifyKey({ ...pair.publicKey, kid: 'someone-else' }), 'E_CONFIG');
    await expectCode(importSigningKey(pair.publicKey), 'E_CONFIG');
    await expectCode(importVerifyKey({ kty: 'EC', crv: 'P-256', x: 'AA' }), 'E_CONFIG');
    await expectCode(createArtifactVerifier({ keys: ['garbage'] }).verify(artifact(), undefined), 'E_CONFIG');
  });

  it('names the tags the registry carries', () => {
    expect([SIGNATURE_TAG, SIGNATURE_KEY_ID_TAG]).toEqual(['dissonance.signature', 'dissonance.signature.keyId']);
  });
});
