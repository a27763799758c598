import {
  decodeBatch,
  decodeFloat32,
  encodeFloat32,
  envelopeToJson,
  parseEnvelope,
  type Envelope,
} from '../../packages/core/src/index.js';
import { tableDecodeBase64 as tableDecode, tableEncodeBase64 as tableEncode } from '../../packages/core/src/util/base64.js';
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
 * the adapters run them (the AMQP adapter's `publish` validates once more in `createEnvelope`, again in
 * `publish` and serializes twice; NATS and Redis serialize once), their parts, and the raw clients' work.
 */
export function codecCosts(workload: Workload, seconds = 0.25): CodecCost[] {
  const envelope = sdkEnvelope(workload, 0) as Envelope;
  const json = envelopeToJson(envelope);
  const buffer = Buffer.from(json, 'utf8');
  const wire = JSON.parse(json) as Envelope;
  const x = batchAt(workload, 0).x;
  const base64 = encodeFloat32(x);
  const body = rawBody(workload, 0);
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (tableEncode(bytes) !== base64 || Buffer.compare(Buffer.from(tableDecode(base64)), Buffer.from(bytes)) !== 0) {
    throw new Error('bench: the lookup-table base64 codec disagrees with encodeFloat32');
  }
  const steps: Array<[string, (i: number) => unknown]> = [
    ['SDK send: createEnvelope(encodeBatch) + publish validation + JSON (NATS, Redis)', (i) => envelopeToJson(parseEnvelope(sdkEnvelope(workload, i)))],
    [
      'SDK send as the AMQP adapter: + a second JSON.stringify + Buffer',
      (i) => {
        const valid = parseEnvelope(sdkEnvelope(workload, i));
        Buffer.from(envelopeToJson(valid), 'utf8');
        return Buffer.from(envelopeToJson(valid), 'utf8');
      },
    ],
    ['  encodeFloat32 (base64 of 8 KiB float32)', () => encodeFloat32(x)],
    ['  parseEnvelope (zod, once; createEnvelope and publish each run it)', () => parseEnvelope(envelope)],
    ['  envelopeToJson (JSON.stringify)', () => envelopeToJson(envelope)],
    ['  encodeBatch + createEnvelope', (i) => sdkEnvelope(workload, i)],
    ['SDK receive: JSON.parse + parseEnvelope + decodeBatch', () => sdkReceive(workload, parseEnvelope(JSON.parse(buffer.toString('utf8')) as unknown))],
    ['  Buffer → string + JSON.parse', () => JSON.parse(buffer.toString('utf8')) as unknown],
    ['  decodeBatch (zod + base64 regex + atob + byte loop)', () => decodeBatch(wire.payload)],
    ['  decodeFloat32 alone', () => decodeFloat32(base64)],
    ['  for comparison: lookup-table base64 encode in plain JS (the core fallback where the platform has none)', () => tableEncode(bytes)],
    ['  for comparison: lookup-table base64 decode in plain JS', () => tableDecode(base64)],
    ["  for comparison: Node's Buffer base64 encode", () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')],
    ['raw send: Buffer view of the float32 bytes', (i) => rawBody(workload, i)],
    ['raw receive: copy into a Float32Array', () => rawReceive(workload, body)],
  ];
  return steps.map(([step, run]) => ({ step, microseconds: time(run, seconds) }));
}
