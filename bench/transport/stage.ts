import type { Subscription, Transport } from '../../packages/core/src/index.js';
import { createEnvelope, encodeBatch } from '../../packages/core/src/adapter-kit/index.js';
import { BATCH_MESSAGE_TYPE } from '../../packages/core/src/schema/batch-payload.js';
import type { Workload } from './batch-data.js';
import { sdkReceive } from './batch-data.js';
import { Arrivals } from './hop.js';

/** Topics of the three-stage pipeline: source → `in` → stage A → `a` → stage B → `b` → sink. */
export const PIPE = { in: 'pipe.in', a: 'pipe.a', b: 'pipe.b' } as const;

/** Where a pipeline process sits: a middle stage (republishes) or the sink (counts). */
export type Role = 'stage-a' | 'stage-b' | 'sink';

/** Topic each role consumes (its group is named after the role). */
export const INPUT_OF: Record<Role, string> = { 'stage-a': PIPE.in, 'stage-b': PIPE.a, sink: PIPE.b };

/** Topic each middle stage publishes to. */
export const OUTPUT_OF: Record<Exclude<Role, 'sink'>, string> = { 'stage-a': PIPE.a, 'stage-b': PIPE.b };

/**
 * A middle stage: for each batch of `from`, decode it (`decodeBatch`), publish it again as a fresh batch
 * envelope on `to` carrying the trace context, and ack only once that publish was confirmed.
 */
export function startStage(
  transport: Transport,
  role: Exclude<Role, 'sink'>,
  workload: Workload,
  prefetch: number,
): Promise<Subscription> {
  const to = OUTPUT_OF[role];
  return transport.subscribe(
    INPUT_OF[role],
    async (delivery) => {
      const batch = sdkReceive(workload, delivery.envelope);
      const { traceparent, tracestate } = delivery.envelope;
      const next = createEnvelope(BATCH_MESSAGE_TYPE, encodeBatch(batch, workload.width), {
        ...(traceparent === undefined ? {} : { traceparent }),
        ...(tracestate === undefined ? {} : { tracestate }),
      });
      await transport.publish(to, next);
      await delivery.ack();
    },
    { group: role, prefetch },
  );
}

/** The sink: decodes and acks each batch of the last topic, counting them into `arrivals`. */
export function startSink(
  transport: Transport,
  workload: Workload,
  prefetch: number,
  arrivals: Arrivals,
): Promise<Subscription> {
  return transport.subscribe(
    INPUT_OF.sink,
    async (delivery) => {
      try {
        sdkReceive(workload, delivery.envelope);
      } catch (error) {
        arrivals.fail(error as Error);
        throw error;
      }
      await delivery.ack();
      arrivals.arrive();
    },
    { group: 'sink', prefetch },
  );
}
