import type { Policy } from '../schema/policy.js';
import type { LoopCounters } from './counters.js';

/** State of one port. */
export interface PortHealth {
  readonly ok: boolean;
  readonly error?: string;
  readonly detail?: string;
}

/** What `engine.health()` reports. */
export interface EngineHealth {
  /** `ok` when every port answers, `degraded` when one does not, `stopped` after `stop()`. */
  readonly status: 'ok' | 'degraded' | 'stopped';
  readonly ports: Readonly<Record<string, PortHealth>>;
  readonly champion: string | undefined;
  readonly challenger: string | undefined;
  /** Whether the champion and the one critic run as one model (`LoadedModel.pairWith`). */
  readonly pairedWithCritic: boolean;
  readonly loop: Readonly<LoopCounters> & {
    readonly queued: number;
    readonly inFlight: number;
    /** Engine-clock ms of the last reconciled batch (or of creation). */
    readonly lastProgressAt: number;
    readonly lastError?: string;
  };
  readonly policy: Policy;
}
