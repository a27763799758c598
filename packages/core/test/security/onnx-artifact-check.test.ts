import { describe, expect, it } from 'vitest';
import { checkOnnxArtifact } from '../../src/adapter-kit/index.js';
import { expectCode } from '../../src/testing/index.js';
import { onnxMlp, onnxWithExternalData } from './fixtures.js';

function reason(bytes: Uint8Array, maxBytes?: number): Promise<unknown> {
  return expectCode(() => checkOnnxArtifact(bytes, maxBytes === undefined ? {} : { maxBytes }), 'E_MODEL').then(
    (error) => (error as Error & { details: { reason?: unknown } }).details.reason,
  );
}

describe('checkOnnxArtifact', () => {
  it('accepts an ONNX model and external data inside its own folder', () => {
    expect(() => checkOnnxArtifact(onnxMlp())).not.toThrow();
    expect(() => checkOnnxArtifact(onnxWithExternalData('weights.bin'))).not.toThrow();
    expect(() => checkOnnxArtifact(onnxWithExternalData('data/weights.bin'))).not.toThrow();
  });

  it('refuses what is not ONNX', async () => {
    expect(await reason(new Uint8Array(0))).toBe('not-onnx');
    expect(await reason(new TextEncoder().encode('PK\u0003\u0004 a zip'))).toBe('not-onnx');
    // Starts like ONNX, then is truncated.
    expect(await reason(onnxMlp().subarray(0, 40))).toBe('not-onnx');
    // A ModelProto without a graph.
    expect(await reason(Uint8Array.of(0x08, 0x08))).toBe('not-onnx');
  });

  it('refuses a model over the size cap', async () => {
    const bytes = onnxMlp();
    expect(await reason(bytes, bytes.length - 1)).toBe('size');
    expect(() => checkOnnxArtifact(bytes, { maxBytes: bytes.length })).not.toThrow();
  });

  it.each([['/etc/passwd'], ['../secrets.bin'], ['data/../../x'], ['C:\\weights.bin'], ['\\\\server\\share'], ['']])(
    'refuses external data at %j',
    async (location) => {
      expect(await reason(onnxWithExternalData(location))).toBe('external-data');
    },
  );

  it('refuses external data without a location, and outside the folder inside a subgraph', async () => {
    expect(await reason(onnxWithExternalData(undefined))).toBe('external-data');
    expect(await reason(onnxWithExternalData('../../x', 'subgraph'))).toBe('external-data');
    expect(() => checkOnnxArtifact(onnxWithExternalData('x.bin', 'subgraph'))).not.toThrow();
  });
});
