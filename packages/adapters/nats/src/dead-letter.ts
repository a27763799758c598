import { createHash } from 'node:crypto';
import { DEAD_LETTER_TYPE, type DeadLetter, type Envelope } from '@dissonance/core';
import { createEnvelope, traceContextOf } from '@dissonance/core/adapter-kit';

/**
 * The dead-letter envelope of a message. Its id is derived from the stream, the consumer and the stream
 * sequence, so a dead letter published again (after a failure or a crash) is deduplicated by JetStream.
 * `original` is the delivered envelope or, when it did not parse, the decoded value or the body as text.
 */
export function deadLetterEnvelope(
  original: Envelope | unknown,
  error: string,
  topic: string,
  source: { readonly stream: string; readonly durable: string; readonly seq: number },
): Envelope<DeadLetter> {
  const letter: DeadLetter = { envelope: original as Envelope, error, topic };
  const id = `dl-${createHash('sha256').update(`${source.stream}\u0000${source.durable}\u0000${source.seq}`).digest('hex').slice(0, 40)}`;
  return createEnvelope(DEAD_LETTER_TYPE, letter, { id, ...traceContextOf(original) });
}
