import { DissonanceError, type Delivery, type Subscription, type Transport } from '@dissonance/core';
import { createEnvelope, errorText } from '@dissonance/core/adapter-kit';
import type { Attempt, JobChannel } from './channel.js';

/** Default topic of training jobs (the transport adds its prefix: RabbitMQ exchange `dissonance.train.jobs`). */
export const DEFAULT_JOBS_TOPIC = 'train.jobs';
/** Default topic of training results. */
export const DEFAULT_RESULTS_TOPIC = 'train.results';
/** Default consumer group of an engine's result subscription. */
export const DEFAULT_RESULTS_GROUP = 'remote-trainer';
/** Envelope type of a job; its id is the job id. */
export const JOB_ENVELOPE_TYPE = 'dissonance.train.job';
/** Envelope type of a result. */
export const RESULT_ENVELOPE_TYPE = 'dissonance.train.result';
/** Envelope type of a worker's refusal of a job. */
export const REFUSED_ENVELOPE_TYPE = 'dissonance.train.refused';

/** Where jobs go over a broker, and where this engine hears the answers. */
export interface TransportChannelOptions {
  /** A transport of `@dissonance/adapter-amqp`, `-nats` or `-redis` (or any `Transport`); it stays the caller's. */
  readonly transport: Transport;
  /** Topic the workers consume (default {@link DEFAULT_JOBS_TOPIC}: `train.jobs`). */
  readonly jobsTopic?: string;
  /** Topic the results come back on (default {@link DEFAULT_RESULTS_TOPIC}: `train.results`); each job names it. */
  readonly resultsTopic?: string;
  /**
   * Consumer group of this engine's result subscription (default {@link DEFAULT_RESULTS_GROUP}). Give every engine
   * that shares a results topic its own group: each group gets every result, and an engine keeps only those of
   * its own jobs. Two engines in one group would take each other's results.
   */
  readonly group?: string;
}

/** A job envelope's payload: the Arrow IPC job and what a worker needs before decoding it. */
export interface JobMessage {
  readonly jobId: string;
  readonly model: string;
  /** Unix epoch ms after which the engine waits no more (all attempts): a worker drops the job unanswered. */
  readonly deadlineMs: number;
  /** Topic to publish the answer on. */
  readonly replyTo: string;
  /** The job as an Arrow IPC stream (raw bytes in the wire frame, no base64). */
  readonly job: Uint8Array;
}

/** A result envelope's payload. */
export interface ResultMessage {
  readonly jobId: string;
  /** The result as an Arrow IPC stream. */
  readonly result: Uint8Array;
}

/** A refusal envelope's payload: the worker cannot train the job (the HTTP worker's 400, 422 or 500). */
export interface RefusedMessage {
  readonly jobId: string;
  readonly status: number;
  readonly error: string;
}

/** Publish errors that no retry can fix: the message is over the broker's size limit. */
const TOO_LARGE = /max_payload|too large|exceeds? (the )?max/i;

/** What waits for one job's answer. */
interface Slot {
  answer: Attempt | undefined;
  wake: (() => void) | undefined;
}

/**
 * A {@link JobChannel} over a broker `Transport`. Each attempt publishes the job as an envelope of type
 * `dissonance.train.job` whose id is the job id (a retry publishes the same id again: NATS deduplicates it, the
 * worker answers a repeated id from its cache) and waits for a `dissonance.train.result` or
 * `dissonance.train.refused` envelope of that job id on the results topic. The result subscription (one per
 * channel, in `group`) is opened at the first attempt, before the first job is published. A result whose job id
 * is not a job in progress (late, superseded, a duplicate, another engine's) is acked and reported to
 * `onDiscard`. `E_CONFIG` on bad topic or group names.
 */
export function transportChannel(
  options: TransportChannelOptions,
  onDiscard: (jobId: string, why: string) => void = () => undefined,
): JobChannel {
  const { transport } = options;
  const jobsTopic = name(options.jobsTopic ?? DEFAULT_JOBS_TOPIC, 'jobsTopic');
  const resultsTopic = name(options.resultsTopic ?? DEFAULT_RESULTS_TOPIC, 'resultsTopic');
  const group = name(options.group ?? DEFAULT_RESULTS_GROUP, 'group');
  if (typeof transport !== 'object' || transport === null || typeof transport.publish !== 'function') {
    throw new DissonanceError('E_CONFIG', 'remoteTrainer: transport.transport must be a Transport');
  }
  const slots = new Map<string, Slot>();
  let subscription: Promise<Subscription> | undefined;
  let closed = false;

  function receive(delivery: Delivery): Promise<void> {
    const { type, payload } = delivery.envelope;
    const jobId = jobIdOf(payload);
    const answer = jobId === undefined ? undefined : answerOf(type, payload);
    if (jobId === undefined || answer === undefined) {
      onDiscard(jobId ?? '', `not a result: envelope ${delivery.envelope.id} of type ${type}`);
      return Promise.resolve();
    }
    const slot = slots.get(jobId);
    if (slot === undefined || slot.answer !== undefined) {
      onDiscard(jobId, slot === undefined ? 'no job in progress has this id' : 'a duplicate answer');
      return Promise.resolve();
    }
    slot.answer = answer;
    slot.wake?.();
    return Promise.resolve();
  }

  function subscribed(): Promise<Subscription> {
    subscription ??= transport.subscribe(resultsTopic, receive, { group, prefetch: 16 }).catch((error: unknown) => {
      subscription = undefined;
      throw error;
    });
    return subscription;
  }

  return {
    target: `${transport.name}:${jobsTopic}`,
    async attempt({ jobId, model, deadlineMs }, body, timeoutMs, signal) {
      if (closed) throw new DissonanceError('E_TRAINER', 'remote trainer: closed');
      let slot = slots.get(jobId);
      if (slot === undefined) {
        slot = { answer: undefined, wake: undefined };
        slots.set(jobId, slot);
      }
      if (slot.answer !== undefined) return slot.answer;
      const started = Date.now();
      try {
        await subscribed();
        const message: JobMessage = {
          jobId,
          model,
          deadlineMs,
          replyTo: resultsTopic,
          job: body,
        };
        await transport.publish(jobsTopic, createEnvelope(JOB_ENVELOPE_TYPE, message, { id: jobId }));
      } catch (error) {
        const reason = `${transport.name}: ${errorText(error)}`;
        // A job the broker will never take (over NATS' max_payload, say) fails now rather than after every retry.
        if (TOO_LARGE.test(reason))
          return { kind: 'refused', status: 413, reason: `the broker refused the job: ${reason}` };
        return { kind: 'none', timedOut: false, reason };
      }
      return wait(slot, Math.max(0, timeoutMs - (Date.now() - started)), signal, timeoutMs);
    },
    finish(jobId) {
      const slot = slots.get(jobId);
      slots.delete(jobId);
      slot?.wake?.();
    },
    async close() {
      closed = true;
      for (const slot of slots.values()) slot.wake?.();
      const live = subscription;
      subscription = undefined;
      if (live !== undefined) await (await live.catch(() => undefined))?.close();
    },
  };
}

/** Waits for `slot`'s answer, `ms` at most; rejects when `signal` aborts. */
function wait(slot: Slot, ms: number, signal: AbortSignal, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    slot.wake = done;
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      slot.wake = undefined;
      if (slot.answer !== undefined) resolve(slot.answer);
      else if (signal.aborted)
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      else resolve({ kind: 'none', timedOut: true, reason: `no answer in ${timeoutMs} ms` });
    }
  });
}

function jobIdOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const jobId = (payload as { jobId?: unknown }).jobId;
  return typeof jobId === 'string' && jobId.length > 0 ? jobId : undefined;
}

function answerOf(type: string, payload: unknown): Attempt | undefined {
  const fields = payload as Record<string, unknown>;
  if (type === RESULT_ENVELOPE_TYPE && fields['result'] instanceof Uint8Array)
    return { kind: 'answer', body: fields['result'] };
  if (type === REFUSED_ENVELOPE_TYPE) {
    const status = typeof fields['status'] === 'number' ? fields['status'] : 500;
    const error = typeof fields['error'] === 'string' ? fields['error'].slice(0, 500) : 'no reason given';
    return { kind: 'refused', status, reason: `the worker refused the job (${status}): ${error}` };
  }
  return undefined;
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new DissonanceError(
      'E_CONFIG',
      `remoteTrainer: transport.${field} must be a non-empty string of at most 200 characters`,
      {
        details: { field: `transport.${field}` },
      },
    );
  }
  return value;
}
