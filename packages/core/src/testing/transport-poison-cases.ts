import { expect, it } from 'vitest';
import type { DeadLetter, Envelope } from '../ports/transport.js';
import { decodeBatch, encodeBatch } from '../schema/batch-payload.js';
import { createEnvelope, envelopeToJson } from '../schema/envelope.js';
import { encodeWireFrame } from '../schema/wire-frame.js';
import type { TransportFixture } from './transport-contract.js';
import { collectEnvelopes, groupName, topicName } from './transport-names.js';
import { sleep, waitFor } from './wait.js';

/** Timing of the suite, from the contract's options. */
interface Timing {
  readonly timeoutMs: number;
  readonly quietMs: number;
  readonly testTimeout: number;
}

/** Bodies another producer might put on a topic that are not envelopes this release reads. */
function poisonBodies(): readonly { readonly name: string; readonly body: Uint8Array }[] {
  const text = (value: string): Uint8Array => new TextEncoder().encode(value);
  const envelope = createEnvelope('contract.poison', { n: 1 });
  const frame = encodeWireFrame(
    createEnvelope('contract.poison', encodeBatch({ x: Float32Array.of(1, 2, 3, 4), rows: 2 }, 2)),
  ).slice();
  const unknownVersion = frame.slice();
  unknownVersion[3] = 9;
  return [
    { name: 'malformed JSON', body: text('{"not":"an envelope"') },
    { name: 'JSON that is not an envelope', body: text(JSON.stringify({ not: 'an envelope' })) },
    { name: 'an envelope that fails the schema (attempt 0)', body: text(JSON.stringify({ ...envelope, attempt: 0 })) },
    { name: 'an envelope of another schema version', body: text(JSON.stringify({ ...envelope, v: 99 })) },
    { name: 'a wire frame of an unknown version', body: unknownVersion },
    { name: 'a truncated wire frame', body: frame.slice(0, Math.floor(frame.byteLength / 2)) },
  ];
}

/**
 * The poison-message cases of the transport contract (registered inside its `describe`): run when the fixture
 * has `publishRaw`, skipped otherwise (a transport that validates on publish cannot receive such bodies).
 */
export function poisonMessageCases(fixture: () => TransportFixture, timing: Timing): void {
  it(
    'dead-letters undecodable messages with E_ENVELOPE, never handing them over, and reads envelope JSON of earlier releases',
    async (context) => {
      const { transport, publishRaw } = fixture();
      if (publishRaw === undefined) {
        context.skip();
        return;
      }
      const topic = topicName();
      const handled: Envelope[] = [];
      const dead = await collectEnvelopes(transport, `${topic}.dlq`);
      await transport.subscribe(
        topic,
        async (d) => {
          handled.push(d.envelope);
          await d.ack();
        },
        { group: groupName() },
      );
      const poison = poisonBodies();
      for (const { body } of poison) await publishRaw(topic, body);
      // What 0.1 published: envelope JSON, the features as base64.
      const legacy = createEnvelope('contract.legacy', encodeBatch({ x: Float32Array.of(0.5, -2), rows: 1 }, 2));
      await publishRaw(topic, new TextEncoder().encode(envelopeToJson(legacy)));
      const fine = createEnvelope('contract.item', { n: 2 });
      await transport.publish(topic, fine);
      await waitFor(
        () => dead.length >= poison.length && handled.length >= 2,
        timing.timeoutMs,
        `${poison.length} dead letters (${poison.map((p) => p.name).join(', ')}) and the two good messages`,
      );
      await sleep(timing.quietMs);
      expect(new Set(handled.map((e) => e.id))).toEqual(new Set([legacy.id, fine.id]));
      expect(handled).toHaveLength(2);
      const read = handled.find((e) => e.id === legacy.id);
      expect([...decodeBatch(read?.payload).x]).toEqual([0.5, -2]);
      expect(dead).toHaveLength(poison.length);
      for (const envelope of dead) {
        expect(envelope.type).toBe('dead-letter');
        const letter = envelope.payload as DeadLetter;
        expect(letter.topic).toBe(topic);
        expect(letter.error).toContain('E_ENVELOPE');
      }
    },
    timing.testTimeout,
  );
}
