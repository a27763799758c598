import {
  DissonanceError,
  type Envelope,
  type ExampleEvent,
  type RetrainedEvent,
  type TrainingExample,
  type Transport,
} from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import type { CurrentProposer } from './proposer-source.js';
import {
  STAGE_MESSAGE_TYPES,
  decodeExamples,
  decodeItems,
  decodePredictions,
  encodeExamples,
  encodePredictions,
  type ExamplesMessage,
  type ProgressMessage,
} from './stage-messages.js';
import type { DetectWorkerOptions, RetrainWorkerOptions } from './worker-options.js';

/** The effect of one input envelope; resolves once the effect is durable and the output is published. */
export type StageEffect = (envelope: Envelope) => Promise<void>;

/** Output envelopes carry an id derived from the input's, so a redelivered input republishes the same id. */
function derived(type: string, payload: unknown, input: Envelope, suffix: string): Envelope {
  return createEnvelope(type, payload, {
    id: `${input.id.slice(0, 190)}.${suffix}`,
    ...(input.traceparent === undefined ? {} : { traceparent: input.traceparent }),
    ...(input.tracestate === undefined ? {} : { tracestate: input.tracestate }),
  });
}

function expectType(envelope: Envelope, type: string): void {
  if (envelope.type !== type) {
    throw new DissonanceError('E_ENVELOPE', `expected an envelope of type ${type}, got ${envelope.type}`, {
      details: { field: 'type' },
    });
  }
}

/** Generate: run the proposer on the items and publish its probabilities. */
export function generateEffect(transport: Transport, output: string, proposer: CurrentProposer): StageEffect {
  return async (envelope) => {
    expectType(envelope, STAGE_MESSAGE_TYPES.items);
    const message = decodeItems(envelope.payload);
    const { model, probabilities } = await proposer.run(message.batch.x, message.batch.rows);
    const payload = encodePredictions(
      {
        ...message,
        classes: model.classes,
        probabilities,
        versions: new Array<string>(message.batch.rows).fill(model.version),
      },
      model.inputWidth,
    );
    await transport.publish(output, derived(STAGE_MESSAGE_TYPES.predictions, payload, envelope, 'p'));
  };
}

/**
 * Detect + reconcile: the engine runs critics, detector, gates and labels on the proposer's outputs. `stop`
 * removes the effect's listener from the engine (which may outlive the worker).
 */
export function detectEffect(
  transport: Transport,
  output: string,
  options: DetectWorkerOptions,
): { effect: StageEffect; stop: () => void } {
  const { engine } = options;
  // Examples by engine batch id; deferred items flushed later arrive under their own batch ids and travel
  // with the next message handled.
  const pending = new Map<string, TrainingExample[]>();
  const collect = (event: ExampleEvent): void => {
    const list = pending.get(event.batchId) ?? [];
    list.push(...event.examples);
    pending.set(event.batchId, list);
  };
  engine.on('example', collect);
  const effect: StageEffect = async (envelope) => {
    expectType(envelope, STAGE_MESSAGE_TYPES.predictions);
    const message = decodePredictions(envelope.payload);
    const result = await engine.process(message.batch, {
      proposed: { probabilities: message.probabilities, versions: message.versions },
    });
    const examples = [...(pending.get(result.batchId) ?? [])];
    pending.delete(result.batchId);
    for (const [batchId, list] of pending) {
      examples.push(...list);
      pending.delete(batchId);
    }
    const out: ExamplesMessage = { examples, rows: message.batch.rows, outcome: result.outcome, meta: message.meta };
    const extra = await options.afterBatch?.(message, out);
    const sent = extra === undefined ? out : { ...out, meta: { ...out.meta, ...extra } };
    await transport.publish(output, derived(STAGE_MESSAGE_TYPES.examples, encodeExamples(sent), envelope, 'e'));
  };
  return { effect, stop: () => void engine.off('example', collect) };
}

/** Retrain: store the examples in the replay buffer, retrain when told to, report progress. */
export function retrainEffect(transport: Transport, output: string, options: RetrainWorkerOptions): StageEffect {
  const { engine } = options;
  const when = options.retrainWhen ?? ((_meta, since) => since >= 100);
  let since = 0;
  return async (envelope) => {
    expectType(envelope, STAGE_MESSAGE_TYPES.examples);
    const message = decodeExamples(envelope.payload);
    if (message.examples.length > 0) await engine.store.appendExamples(message.examples);
    since += message.examples.length;
    await options.afterStore?.(message);
    let retrain: ProgressMessage['retrain'];
    if (when(message.meta, since)) {
      await options.beforeRetrain?.(message);
      since = 0;
      let event: RetrainedEvent | undefined;
      const listener = (e: RetrainedEvent): void => {
        event = e;
      };
      engine.on('retrained', listener);
      try {
        await engine.retrainNow();
      } finally {
        engine.off('retrained', listener);
      }
      if (event !== undefined) {
        retrain = {
          candidate: event.candidate.version,
          decision: event.decision,
          reason: event.reason,
          ...(event.goldenAccuracy === undefined ? {} : { goldenAccuracy: event.goldenAccuracy }),
        };
      }
    }
    const progress: ProgressMessage = {
      source: envelope.id,
      meta: message.meta,
      champion: engine.championVersion,
      examplesHeld: await engine.store.countExamples(),
      ...(retrain === undefined ? {} : { retrain }),
    };
    await transport.publish(output, derived(STAGE_MESSAGE_TYPES.progress, progress, envelope, 'done'));
  };
}
