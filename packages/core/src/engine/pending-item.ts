/** One item on its way through reconcile. Arrays may be views into batch buffers. */
export interface PendingItem {
  readonly itemId: string;
  readonly x: Float32Array;
  readonly proposer: Float32Array;
  readonly critics: readonly Float32Array[];
  readonly dissonance: number;
  readonly proposerVersion: string;
  /** Served by the canary challenger (undefined outside a canary). */
  readonly challenger?: boolean;
}
