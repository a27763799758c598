/**
 * Issue 20, item 2: non-finite and overflowing values in every envelope and batch wire format, and at
 * `engine.process`. Each boundary refuses NaN and ±Infinity with a typed error naming the row and column
 * (`E_ENVELOPE` for messages, `E_INPUT` for calls); values that float32 cannot hold (1e39 as a JS number) are
 * refused where numbers arrive as JS numbers; and finite features that make the models answer NaN (every feature
 * 3.4e38) are quarantined, never reported as NaN dissonance.
 */
import { describe, expect, it } from 'vitest';
import {
  createEngine,
  DissonanceError,
  MemoryTransport,
  NON_FINITE_DISSONANCE,
  type Batch,
  type Envelope,
  type ErrorEvent,
} from '@dissonance/core';
import { initMlp, MlpModel } from '@dissonance/core/mlp';
import {
  createEnvelope,
  decodeBatch,
  decodeWireFrame,
  encodeBatch,
  encodeFloat32,
  encodeWireFrame,
  envelopeToJson,
  float32FromNumbers,
  FLOAT32_MAX,
  parseEnvelope,
} from '@dissonance/core/adapter-kit';

const ROWS = 3;
const WIDTH = 4;
const BAD = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Math.fround(1e39), Math.fround(-1e39)];

function batchWith(value: number, row = 1, column = 2): Batch {
  const x = Float32Array.from({ length: ROWS * WIDTH }, (_, i) => i / 10);
  x[row * WIDTH + column] = value;
  return { x, rows: ROWS, ids: ['a', 'b', 'c'] };
}

function caught(fn: () => unknown): DissonanceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DissonanceError) return error;
    throw error;
  }
  throw new Error('expected a DissonanceError');
}

/** Every way a batch envelope reaches a consumer, each ending in the consumer's `decodeBatch`. */
const WIRE_FORMATS: Record<string, (envelope: Envelope) => unknown> = {
  'in memory (Float32Array payload)': (envelope) => envelope.payload,
  'envelope JSON (base64 features)': (envelope) => parseEnvelope(JSON.parse(envelopeToJson(envelope))).payload,
  'wire frame format 1 (JSON header + bytes)': (envelope) =>
    decodeWireFrame(encodeWireFrame(envelope, { before: 0, after: 0 }, 1)).payload,
  'wire frame format 2 (batch frame)': (envelope) => decodeWireFrame(encodeWireFrame(envelope)).payload,
};

describe('non-finite features in every batch wire format → E_ENVELOPE naming row and column', () => {
  for (const [format, deliver] of Object.entries(WIRE_FORMATS)) {
    it.each(BAD.map((v) => [String(v), v]))(`${format}: %s`, (_name, value) => {
      const envelope = createEnvelope('dissonance.batch', encodeBatch(batchWith(value), WIDTH));
      const error = caught(() => decodeBatch(deliver(envelope)));
      expect(error.code).toBe('E_ENVELOPE');
      expect(error.message).toMatch(/row 1, column 2 is -?Infinity|row 1, column 2 is NaN/);
      expect(error.details).toMatchObject({ row: 1, column: 2 });
    });
  }

  it('a base64 payload (the zod path) and a payload without ids are checked alike', () => {
    for (const value of BAD) {
      const { x } = batchWith(value);
      for (const payload of [
        { rows: ROWS, width: WIDTH, x: encodeFloat32(x) },
        { rows: ROWS, width: WIDTH, x },
      ]) {
        expect(caught(() => decodeBatch(payload)).details).toMatchObject({ row: 1, column: 2 });
      }
    }
  });

  it('features as JSON numbers are refused by the batch schema (base64 or bytes only), 1e39 and NaN included', () => {
    for (const x of [
      [0, 1, 2, 1e39],
      [0, 1, 2, null],
      [0, 1, 2, 'NaN'],
    ]) {
      expect(caught(() => decodeBatch({ rows: 1, width: 4, x })).code).toBe('E_ENVELOPE');
    }
  });

  it('finite extremes still pass bit for bit: ±FLOAT32_MAX, -0, the smallest subnormal', () => {
    const x = Float32Array.of(FLOAT32_MAX, -FLOAT32_MAX, -0, 1e-45);
    for (const deliver of Object.values(WIRE_FORMATS)) {
      const got = decodeBatch(deliver(createEnvelope('dissonance.batch', encodeBatch({ x, rows: 1 }, 4))));
      expect(new Uint8Array(got.x.buffer, got.x.byteOffset, 16)).toEqual(new Uint8Array(x.buffer));
    }
  });
});

describe('numbers that arrive as JS numbers: float32 overflow counts as invalid', () => {
  it.each([
    ['NaN', Number.NaN, /row 0, column 1: is NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /row 0, column 1: is Infinity/],
    ['1e39 (float32 → Infinity)', 1e39, /row 0, column 1: 1e\+39 overflows float32/],
    ['-3.5e38', -3.5e38, /overflows float32/],
    ['a string', 'NaN' as unknown as number, /is not a number/],
  ])('%s → E_INPUT with row and column', (_name, value, message) => {
    const error = caught(() =>
      float32FromNumbers(
        [
          [0, value],
          [1, 2],
        ],
        2,
      ),
    );
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toMatch(message);
    expect(error.details).toMatchObject({ row: 0, column: 1 });
  });

  it('3.4e38 fits float32 and is accepted at this boundary (the model-output check quarantines it later)', () => {
    expect([...float32FromNumbers([[3.4e38, -3.4e38]], 2)].every(Number.isFinite)).toBe(true);
  });
});

describe('engine.process', () => {
  const model = (name: string, seed: number): MlpModel =>
    new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [8], classes: 3, seed }), { name });

  it.each(BAD.map((v) => [String(v), v]))(
    'a %s feature → E_INPUT naming row, column and id; nothing accepted',
    async (_name, value) => {
      const engine = createEngine({ proposer: model('p', 1), critics: [model('q', 2)] });
      const error = await engine.process(batchWith(value)).then(
        () => undefined,
        (e: unknown) => e as DissonanceError,
      );
      expect(error?.code).toBe('E_INPUT');
      expect(error?.message).toMatch(/row 1 \(id "b"\), column 2/);
      expect(error?.details).toMatchObject({ row: 1, column: 2 });
      expect((await engine.stop()).accepted).toBe(0);
    },
  );

  it('every feature 3.4e38 (finite, but the models answer NaN): quarantined, finite dissonance, other rows served', async () => {
    const engine = createEngine({ proposer: model('p', 1), critics: [model('q', 2)], policy: { maxDissonance: 1 } });
    const batch = batchWith(0);
    batch.x.fill(3.4e38, WIDTH, 2 * WIDTH);
    const result = await engine.process(batch);
    expect(result.nonFiniteRows).toEqual([1]);
    expect(Array.from(result.dissonance)).toEqual([result.dissonance[0], NON_FINITE_DISSONANCE, result.dissonance[2]]);
    expect(JSON.stringify(Array.from(result.dissonance))).not.toContain('null');
    expect(await engine.stop()).toMatchObject({ accepted: 3, blocked: 1, nonFinite: 1 });
  });

  it('a transport source refuses a batch message with a NaN feature (E_ENVELOPE), accepting nothing', async () => {
    const transport = new MemoryTransport();
    const engine = createEngine({ proposer: model('p', 1), critics: [model('q', 2)] });
    const errors: ErrorEvent[] = [];
    const refused = new Promise<void>((resolve) =>
      engine.on('error', (e) => {
        errors.push(e);
        resolve();
      }),
    );
    engine.start({ transport, topic: 'items', maxAttempts: 1 });
    await transport.publish('items', createEnvelope('dissonance.batch', encodeBatch(batchWith(Number.NaN), WIDTH)));
    await refused;
    expect(errors[0]?.error.code).toBe('E_ENVELOPE');
    expect(errors[0]?.error.message).toMatch(/row 1, column 2 is NaN/);
    expect((await engine.stop()).accepted).toBe(0);
    await transport.close();
  });
});
