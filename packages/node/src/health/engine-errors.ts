import type { Engine, ErrorEvent } from '@dissonance/core';
import type { FailingPart } from './health-routes.js';

/** The engine's events an {@link EngineErrors} listens to. */
export type EngineEventSource = Pick<Engine, 'on' | 'off'>;

/** The last failure of one stage of the loop. */
export interface StageFailure {
  readonly stage: ErrorEvent['stage'];
  readonly code: string;
  readonly message: string;
  /** `Date.now()` when it was reported. */
  readonly at: number;
}

/** Which engine events show that a failed stage works again. */
const RECOVERED_BY: Readonly<
  Record<ErrorEvent['stage'], readonly ('proposed' | 'dissonance' | 'retrained' | 'promoted' | 'rolledBack')[]>
> = {
  generate: ['proposed'],
  detect: ['dissonance'],
  reconcile: ['dissonance'],
  source: ['dissonance'],
  deferred: ['dissonance'],
  retrain: ['retrained'],
  register: ['retrained'],
  refresh: ['promoted', 'rolledBack'],
  promote: ['promoted', 'rolledBack'],
};

/**
 * Stages whose failure means the loop itself is stuck (it stops learning, or cannot take a new champion), as
 * opposed to one batch failing: those are answered to their caller, and a client that can send a failing
 * batch must not be able to take the server out of rotation.
 */
const LOOP_STAGES: ReadonlySet<ErrorEvent['stage']> = new Set([
  'retrain',
  'register',
  'refresh',
  'source',
  'deferred',
  'promote',
]);

/**
 * Follows an engine's `error` events so they are not lost: each is passed to `log` (the server's error log).
 * A failure of the loop itself (`retrain`, `register`, `refresh`, `source`, `deferred`) is kept as the
 * stage's last failure until an event shows the stage works again (a retrain that produced a candidate, a
 * reconciled batch, a promotion). `/readyz` reports the held failures as failing parts named `loop.<stage>`,
 * so a loop that silently stopped learning is visible to probes and operators.
 */
export class EngineErrors {
  readonly #failures = new Map<ErrorEvent['stage'], StageFailure>();
  readonly #detach: () => void;

  constructor(
    engine: EngineEventSource,
    log: (error: unknown) => void = () => undefined,
    now: () => number = Date.now,
  ) {
    const onError = (event: ErrorEvent): void => {
      if (LOOP_STAGES.has(event.stage))
        this.#failures.set(event.stage, {
          stage: event.stage,
          code: event.error.code,
          message: event.error.message,
          at: now(),
        });
      log(event.error);
    };
    const recoveries = (['proposed', 'dissonance', 'retrained', 'promoted', 'rolledBack'] as const).map((name) => {
      const listener = (): void => {
        for (const [stage, events] of Object.entries(RECOVERED_BY)) {
          if ((events as readonly string[]).includes(name)) this.#failures.delete(stage as ErrorEvent['stage']);
        }
      };
      engine.on(name, listener);
      return () => engine.off(name, listener);
    });
    engine.on('error', onError);
    this.#detach = () => {
      engine.off('error', onError);
      for (const off of recoveries) off();
    };
  }

  /** The stages whose last attempt failed, oldest first. */
  failures(): readonly StageFailure[] {
    return [...this.#failures.values()].sort((a, b) => a.at - b.at);
  }

  /** The failures as readiness parts (`loop.<stage>`). */
  failingParts(): FailingPart[] {
    return this.failures().map((f) => ({
      name: `loop.${f.stage}`,
      error: f.message.startsWith(f.code) ? f.message : `${f.code}: ${f.message}`,
    }));
  }

  /** Stops following the engine. */
  close(): void {
    this.#detach();
  }
}
