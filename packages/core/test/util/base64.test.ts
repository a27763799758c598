import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64,
  decodeFloat32,
  encodeBase64,
  encodeFloat32,
  tableDecodeBase64,
  tableEncodeBase64,
} from '../../src/util/base64.js';

describe('base64 of float32 rows: the platform codec and the table codec agree', () => {
  it('encode the same text and decode it back bit for bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = tableEncodeBase64(bytes);
        expect(encodeBase64(bytes)).toBe(text);
        expect(Buffer.from(bytes).toString('base64')).toBe(text);
        expect(Array.from(tableDecodeBase64(text))).toEqual(Array.from(bytes));
        expect(Array.from(decodeBase64(text))).toEqual(Array.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 200 }), (values) => {
        const text = encodeFloat32(values);
        expect(tableEncodeBase64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))).toBe(text);
        const back = decodeFloat32(text);
        expect(new Uint8Array(back.buffer, back.byteOffset, back.byteLength)).toEqual(
          new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
        );
      }),
    );
  });

  it.each(['AAA', 'AA=A', 'A===', 'AA==AAAA', 'AB-_', 'AB C', 'AA\nA', '@@@@'])(
    'both refuse %j with E_ENVELOPE',
    (text) => {
      expect(() => decodeFloat32(text)).toThrow(/not padded standard base64|not a multiple of 4/);
      expect(() => decodeBase64(text)).toThrow(/not padded standard base64/);
      expect(() => tableDecodeBase64(text)).toThrow(/not padded standard base64/);
    },
  );
});
