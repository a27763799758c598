import { idempotent, type Delivery } from '@dissonance/core';
import { currentProposer, type CurrentProposer } from './proposer-source.js';
import { detectEffect, generateEffect, retrainEffect, type StageEffect } from './stage-handlers.js';
import { STAGE_TOPICS } from './stage-messages.js';
import type { Stage, WorkerHandle, WorkerOptions } from './worker-options.js';

const ROUTES: Readonly<Record<Stage, { readonly input: string; readonly output: string }>> = {
  generate: { input: STAGE_TOPICS.items, output: STAGE_TOPICS.predictions },
  detect: { input: STAGE_TOPICS.predictions, output: STAGE_TOPICS.examples },
  retrain: { input: STAGE_TOPICS.examples, output: STAGE_TOPICS.progress },
};

/**
 * Runs one stage of the loop as a worker over a transport, so generate, detect + reconcile and retrain can
 * each run in their own process and scale on their own:
 *
 * - `generate` consumes items (`dissonance.items`), runs the proposer (a fixed model, or the registry's
 *   `champion`, hot-swapped when the alias moves) and publishes predictions;
 * - `detect` consumes predictions, lets an engine (no trainer) run critics, detector, gates and labels, and
 *   publishes the examples;
 * - `retrain` consumes examples, stores them in its engine's replay buffer, retrains when `retrainWhen` says
 *   so (train → validate → register → promote), and publishes a progress report.
 *
 * Each input is acked only after its effect and its output are durable (at-least-once); outputs carry ids
 * derived from the input's, so a redelivery republishes the same id and `dedup` stores suppress the repeat.
 * A message that keeps failing is dead-lettered after `maxAttempts` with its last error.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const route = ROUTES[options.stage];
  const output = options.output ?? route.output;
  let proposer: CurrentProposer | undefined;
  let stop: (() => void) | undefined;
  let effect: StageEffect;
  switch (options.stage) {
    case 'generate':
      proposer = currentProposer(options.proposer);
      effect = generateEffect(options.transport, output, proposer);
      break;
    case 'detect':
      ({ effect, stop } = detectEffect(options.transport, output, options));
      break;
    case 'retrain':
      effect = retrainEffect(options.transport, output, options);
      break;
  }
  let handled = 0;
  const base = async (delivery: Delivery): Promise<void> => {
    await effect(delivery.envelope);
    handled++;
    await delivery.ack();
  };
  const handler = options.dedup === undefined ? base : idempotent(options.dedup, base);
  const subscription = await options.transport.subscribe(options.input ?? route.input, handler, {
    group: options.group ?? `dissonance-${options.stage}`,
    prefetch: options.prefetch ?? 1,
    maxAttempts: options.maxAttempts ?? 5,
  });
  return {
    stage: options.stage,
    get handled() {
      return handled;
    },
    close: async () => {
      await subscription.close();
      stop?.();
      await proposer?.close();
    },
  };
}
