import type { Envelope } from '@dissonance/core';
import {
  createEnvelope,
  decodeBatch,
  decodeWireFrame,
  encodeBatch,
  encodeWireFrame,
} from '@dissonance/core/adapter-kit';
import { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { xaddEnvelope } from '../src/xadd-command.js';

/** What ioredis itself writes for `XADD <args…> <frame>`: the oracle. */
function ioredisBytes(args: Array<string | Buffer>): Buffer {
  const written = new Command('XADD', args).toWritable({});
  return typeof written === 'string' ? Buffer.from(written) : written;
}

describe('xaddEnvelope', () => {
  const x = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i) * 1e3);
  const cases: Array<[string, () => Envelope, string, string[]]> = [
    [
      'an encodeBatch payload (frame written in place)',
      () => createEnvelope('dissonance.batch', encodeBatch({ x, rows: 32 }, 64)),
      'p:hop',
      [],
    ],
    [
      'a fresh frame, with MAXLEN trimming',
      () => createEnvelope('t', { x: Float32Array.of(1, 2), n: 3 }),
      'p:a.b-c_d',
      ['MAXLEN', '~', '1000'],
    ],
    ['a payload without binaries, multi-byte text in it', () => createEnvelope('t', { text: 'é✓𝄞' }), 'p:t', []],
  ];

  for (const [name, make, key, trim] of cases) {
    it(`writes the bytes ioredis would for ${name}`, () => {
      const envelope = make();
      // The frame as a plain encodeWireFrame makes it (the envelope copied, so its room is not the one used).
      const frame = Buffer.from(encodeWireFrame({ ...envelope } as Envelope));
      const command = xaddEnvelope(key, trim, envelope);
      const bytes = command.toWritable({}) as Buffer;
      expect(bytes.equals(ioredisBytes([key, ...trim, '*', 'envelope', frame]))).toBe(true);
      expect(command.name).toBe('XADD');
      expect(command.args.slice(0, -1)).toEqual([key, ...trim, '*', 'envelope']);
      expect(Buffer.from(command.args.at(-1) as Buffer).equals(frame)).toBe(true);
    });
  }

  it('writes the frame of an encodeBatch copy into that copy (no further copy of the features)', () => {
    const payload = encodeBatch({ x, rows: 32 }, 64);
    const bytes = xaddEnvelope('p:hop', [], createEnvelope('dissonance.batch', payload)).toWritable({}) as Buffer;
    expect(bytes.buffer).toBe((payload.x as Float32Array).buffer);
    const frameStart = bytes.indexOf('\r\n', bytes.indexOf('$', bytes.indexOf('envelope'))) + 2;
    const decoded = decodeBatch(decodeWireFrame(bytes.subarray(frameStart, -2)).payload);
    expect(
      Buffer.from(decoded.x.buffer, decoded.x.byteOffset, decoded.x.byteLength).equals(Buffer.from(x.buffer)),
    ).toBe(true);
  });
});
