import type { Envelope } from '../../packages/core/src/index.js';
import {
  decodeBatch,
  decodeFloat32,
  decodeWireFrame,
  encodeFloat32,
  encodeWireFrame,
  envelopeToJson,
  parseEnvelope,
} from '../../packages/core/src/adapter-kit/index.js';
import {
  tableDecodeBase64 as tableDecode,
  tableEncodeBase64 as tableEncode,
} from '../../packages/core/src/util/base64.js';
import { batchAt, rawBody, rawReceive, sdkEnvelope, sdkReceive, type Workload } from './batch-data.js';

/** CPU time of one step per message, in microseconds. */
export interface CodecCost {
  readonly step: string;
  readonly microseconds: number;
}

/** Calls `step` for ≥ `seconds` (after a warm-up) and returns µs per call. */
function time(step: (i: number) => unknown, seconds: number): number {
  for (let i = 0; i < 200; i++) step(i);
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 100; i++) step(calls + i);
    calls += 100;
    elapsed = performance.now() - start;
  } while (elapsed < seconds * 1000);
  return (elapsed * 1000) / calls;
}

/**
 * What each message costs the CPU outside the broker, in this process: the whole SDK send and receive paths as
 * the adapters run them (`createEnvelope(encodeBatch(…))`, the publish-time validation, the binary wire frame;
 * on receipt the frame, `parseEnvelope` and `decodeBatch`), their parts, the JSON form for comparison, and the
 * raw clients' work.
 */
export function codecCosts(workload: Workload, seconds = 0.25): CodecCost[] {
  const envelope = sdkEnvelope(workload, 0) as Envelope;
  const frame = Buffer.from(encodeWireFrame(envelope));
  const json = envelopeToJson(envelope);
  const jsonBuffer = Buffer.from(json, 'utf8');
  const x = batchAt(workload, 0).x;
  const base64 = encodeFloat32(x);
  const body = rawBody(workload, 0);
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (tableEncode(bytes) !== base64 || Buffer.compare(Buffer.from(tableDecode(base64)), Buffer.from(bytes)) !== 0) {
    throw new Error('bench: the lookup-table base64 codec disagrees with encodeFloat32');
  }
  const steps: Array<[string, (i: number) => unknown]> = [
    [
      'SDK send: createEnvelope(encodeBatch) + publish validation + wire frame',
      (i) => encodeWireFrame(parseEnvelope(sdkEnvelope(workload, i))),
    ],
    ['  encodeBatch + createEnvelope (float32 copy, id, time, zod)', (i) => sdkEnvelope(workload, i)],
    [
      '  parseEnvelope of a fresh object (hand-checked; zod only for what that refuses; free for one createEnvelope made)',
      () => parseEnvelope({ ...envelope }),
    ],
    [
      '  encodeWireFrame, a fresh frame (the first frame of an encodeBatch copy is written in place)',
      () => encodeWireFrame(envelope),
    ],
    ['SDK receive: wire frame + parseEnvelope + decodeBatch', () => sdkReceive(workload, decodeWireFrame(frame))],
    ['  decodeWireFrame (binary batch header, float32 copy, hand-checked envelope)', () => decodeWireFrame(frame)],
    ['  decodeBatch of a Float32Array payload', () => decodeBatch(envelope.payload)],
    ['for comparison, JSON send: envelopeToJson (base64 features)', () => envelopeToJson(envelope)],
    [
      'for comparison, JSON receive: Buffer → string + JSON.parse + parseEnvelope + decodeBatch',
      () => sdkReceive(workload, parseEnvelope(JSON.parse(jsonBuffer.toString('utf8')) as unknown)),
    ],
    ['  encodeFloat32 (base64 of 8 KiB float32)', () => encodeFloat32(x)],
    ['  decodeFloat32', () => decodeFloat32(base64)],
    [
      '  lookup-table base64 encode in plain JS (the core fallback where the platform has none)',
      () => tableEncode(bytes),
    ],
    ['  lookup-table base64 decode in plain JS', () => tableDecode(base64)],
    ['raw send: Buffer view of the float32 bytes', (i) => rawBody(workload, i)],
    ['raw receive: copy into a Float32Array', () => rawReceive(workload, body)],
  ];
  return steps.map(([step, run]) => ({ step, microseconds: time(run, seconds) }));
}
