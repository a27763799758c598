import { createMemoryTransport, type Transport } from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_JOBS_TOPIC,
  DEFAULT_RESULTS_TOPIC,
  JOB_ENVELOPE_TYPE,
  REFUSED_ENVELOPE_TYPE,
  RESULT_ENVELOPE_TYPE,
  type JobMessage,
} from '../src/index.js';
import { transportChannel } from '../src/transport-channel.js';

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function memory(): Promise<Transport> {
  const transport = await createMemoryTransport();
  open.push(transport);
  return transport;
}

/** A worker on the transport answering each job with `answer`'s envelopes (type, payload). */
async function worker(
  transport: Transport,
  answer: (job: JobMessage) => readonly [type: string, payload: unknown][],
  seen: JobMessage[] = [],
): Promise<void> {
  await transport.subscribe<JobMessage>(
    DEFAULT_JOBS_TOPIC,
    async ({ envelope }) => {
      expect(envelope.type).toBe(JOB_ENVELOPE_TYPE);
      expect(envelope.id).toBe(envelope.payload.jobId);
      seen.push(envelope.payload);
      for (const [type, payload] of answer(envelope.payload))
        await transport.publish(envelope.payload.replyTo, createEnvelope(type, payload));
    },
    { group: 'dissonance-trainer' },
  );
}

const header = { jobId: 'job-1', model: 'm', deadlineMs: 1e15 };
const never = new AbortController().signal;

describe('transportChannel', () => {
  it('publishes the job bytes raw with its header and returns the answer of that job id', async () => {
    const transport = await memory();
    const seen: JobMessage[] = [];
    await worker(transport, (job) => [[RESULT_ENVELOPE_TYPE, { jobId: job.jobId, result: Uint8Array.of(7, 8) }]], seen);
    const channel = transportChannel({ transport });
    const answer = await channel.attempt(header, Uint8Array.of(1, 2, 3), 5000, never);
    expect(answer).toEqual({ kind: 'answer', body: Uint8Array.of(7, 8) });
    expect(seen).toEqual([{ ...header, replyTo: DEFAULT_RESULTS_TOPIC, job: Uint8Array.of(1, 2, 3) }]);
    await channel.close();
  });

  it('discards and reports answers to other job ids and duplicates; a refusal keeps its status', async () => {
    const transport = await memory();
    await worker(transport, (job) => [
      [RESULT_ENVELOPE_TYPE, { jobId: 'someone-else', result: Uint8Array.of(1) }],
      [REFUSED_ENVELOPE_TYPE, { jobId: job.jobId, status: 422, error: 'no class 2' }],
      [RESULT_ENVELOPE_TYPE, { jobId: job.jobId, result: Uint8Array.of(1) }],
    ]);
    const discarded: string[] = [];
    const channel = transportChannel({ transport }, (jobId, why) => discarded.push(`${jobId}: ${why}`));
    const answer = await channel.attempt(header, Uint8Array.of(1), 5000, never);
    expect(answer).toMatchObject({ kind: 'refused', status: 422, reason: expect.stringContaining('no class 2') });
    channel.finish(header.jobId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(discarded).toHaveLength(2);
    expect(discarded[0]).toBe('someone-else: no job in progress has this id');
    // The late result arrives while the job is still open (a duplicate) or after it finished.
    expect(discarded[1]).toMatch(/^job-1: (a duplicate answer|no job in progress has this id)$/);
    await channel.close();
  });

  it('no answer within the timeout is a timed-out attempt; an answer arriving later is kept for the next attempt', async () => {
    const transport = await memory();
    const channel = transportChannel({ transport });
    expect(await channel.attempt(header, Uint8Array.of(1), 50, never)).toMatchObject({ kind: 'none', timedOut: true });
    // The answer to the first attempt comes in between attempts: the retry returns it at once.
    await transport.publish(
      DEFAULT_RESULTS_TOPIC,
      createEnvelope(RESULT_ENVELOPE_TYPE, { jobId: header.jobId, result: Uint8Array.of(9) }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await channel.attempt(header, Uint8Array.of(1), 50, never)).toEqual({
      kind: 'answer',
      body: Uint8Array.of(9),
    });
    await channel.close();
  });

  it('an abort rejects the wait', async () => {
    const transport = await memory();
    const channel = transportChannel({ transport });
    const controller = new AbortController();
    const attempt = channel.attempt(header, Uint8Array.of(1), 10_000, controller.signal);
    setTimeout(() => controller.abort(new Error('superseded')), 20);
    await expect(attempt).rejects.toThrow('superseded');
    await channel.close();
  });

  it('refuses bad topic and group names with E_CONFIG', async () => {
    const transport = await memory();
    expect(() => transportChannel({ transport, jobsTopic: '' })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG' }) as Error,
    );
    expect(() => transportChannel({ transport, group: 'x'.repeat(201) })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG' }) as Error,
    );
  });
});
