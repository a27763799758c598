import type { GateDecision } from '../ports/gate.js';

/** The one shared, frozen "pass" decision: gates return it instead of allocating a new object. */
export const PASS: GateDecision = Object.freeze({ outcome: 'pass' });
