import type { EventEmitter } from 'eventemitter3';
import type { EngineEvents } from '../engine/events.js';
import type { Instrumentation } from './instrumentation.js';

/**
 * Counts and logs the rare lifecycle events of an engine — retrains by outcome, promotions, rollbacks, errors —
 * from its own events, so the lifecycle code stays free of reporting. Nothing here runs per item.
 */
export function reportLifecycle(events: EventEmitter<EngineEvents>, telemetry: Instrumentation): void {
  const { metrics, logger } = telemetry;
  events.on('retrained', (event) => {
    metrics.retrains.add(1, { 'dissonance.outcome': event.decision });
    logger.info(
      {
        candidate: event.candidate.version,
        parent: event.parent,
        decision: event.decision,
        reason: event.reason,
        kl: event.kl,
        ...(event.goldenAccuracy === undefined ? {} : { goldenAccuracy: event.goldenAccuracy }),
      },
      `retrained ${event.candidate.name} version ${event.candidate.version}: ${event.decision}`,
    );
  });
  events.on('promoted', (event) => {
    metrics.promotions.add(1);
    logger.info(
      { version: event.version, previous: event.previous, reason: event.reason },
      `promoted version ${event.version}`,
    );
  });
  events.on('rolledBack', (event) => {
    metrics.rollbacks.add(1, { 'dissonance.stage': event.stage });
    logger.warn(
      { version: event.version, champion: event.champion, stage: event.stage, reason: event.reason },
      `rolled back version ${event.version} (${event.stage})`,
    );
  });
  events.on('error', (event) => {
    if (event.stage === 'retrain' && event.error.code === 'E_TRAINER')
      metrics.retrains.add(1, { 'dissonance.outcome': 'failed' });
    logger.error(
      {
        stage: event.stage,
        code: event.error.code,
        err: event.error.message,
        ...(event.batchId === undefined ? {} : { batchId: event.batchId }),
      },
      `${event.stage} failed: ${event.error.message}`,
    );
  });
}
